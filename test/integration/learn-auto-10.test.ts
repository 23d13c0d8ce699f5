import { lessonSuite } from './learn-lessons.js';

// Lesson 10 (user networks: create, the bridge, names, isolation, connect, --internal, rules, prune), in a file of its own.
lessonSuite({ lesson: 10 });
