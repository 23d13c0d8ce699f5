import { lessonSuite } from './learn-lessons.js';

// Lesson 15 (inside a running container: exec, top, stats, xray, inspect -f, wait, events), in a file of its own.
lessonSuite({ lesson: 15 });
