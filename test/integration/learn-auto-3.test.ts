import { lessonSuite } from './learn-lessons.js';

// A third of the shipped lessons (the others: learn-auto-1, learn-auto-2), so they run side by side.
lessonSuite(2);
