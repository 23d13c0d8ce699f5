import { lessonSuite } from './learn-lessons.js';

// Lesson 12 (Dockerfiles and the build cache: build, the cache on a rebuild, a changed file and --explain's verdicts, instruction order and .dockerignore, build args and labels, multi-stage), in a file of its own.
lessonSuite({ lesson: 12 });
