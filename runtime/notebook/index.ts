/**
 * glass for notebooks: one import, thin helpers over the Engine.
 *
 *     import * as glass from "../dist/runtime/notebook/index.js";
 *     await glass.notebook("01-first-container");   // root? clean leftovers; label glass.notebook=<name>
 *     const r = await glass.run("hostname");         // { output, exitCode, steps, ... }
 *     await glass.show(r);                           // the explain trace as a table
 *     await glass.sh`run --rm busybox hostname`;     // a glass command line, as in a lesson
 *     await glass.show(glass.compare(["a", "b"]));   // the host and two containers side by side
 *     await glass.cleanup();                         // remove this notebook's containers
 *
 * Compiled by `npm run build` (tsc) to dist/runtime/notebook/: notebooks
 * import the compiled JS and its .d.ts, which tslab's own TypeScript (5.0)
 * type-checks. Everything a container does goes through the Engine
 * (runtime/engine/ENGINE-API.md); this layer only shows it.
 */
export { notebook, session, cleanup, glassBin, NOTEBOOK_LABEL_KEY, type NotebookOptions, type Session } from './session.js';
export { run, runDetached, sh, type RunOptions, type RunOutput, type ShResult } from './run.js';
export { show, hasDisplay, type Showable } from './display.js';
export { stepsTable, shorten } from './steps.js';
export { table, picture, tableHtml, tableText, type Cell, type Picture, type Table } from './table.js';
export { pids, compare, cgroup, mounts, upperdir, processesOf, containerProcess, layerDirs, walkUpper, type ContainerProcess, type LayerDirs, type UpperEntry } from './views.js';
export { processTree, overlayStack } from './pictures.js';
export { topology, joinTopology, networkTopology, natRules, packetPath, conntrackTable, type TopologyData, type TopologyNetwork, type TopologyContainer, type TopologyPort } from './network.js';
export { chart, sample, type ChartOptions, type Row, type SampleOptions } from './chart.js';
export { xray, stats, type StatsEntry, type XrayReport } from './xray.js';
export { NotebookError } from './errors.js';
export { NAMESPACE_KINDS, type NamespaceKind, type ProcInfo } from './host-view.js';
export type { CreateOptions, Engine, Step } from '../engine/index.js';
