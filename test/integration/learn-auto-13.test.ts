import { lessonSuite } from './learn-lessons.js';

// Lesson 13 (resource limits: memory and the OOM kill, CPU quota and shares, a fork bomb held by pids.max, update, pause), in a file of its own.
lessonSuite({ lesson: 13 });
