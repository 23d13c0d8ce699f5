import { lessonSuite } from './learn-lessons.js';

// Lesson 14 (confinement: capabilities, seccomp, read-only root, --privileged and breakout attempts), in a file of its own.
lessonSuite({ lesson: 14 });
