import { lessonSuite } from './learn-lessons.js';

// Lesson 11 (volumes: named, anonymous pre-filled, bind :ro, --volumes-from, in use, tmpfs, prune), in a file of its own.
lessonSuite({ lesson: 11 });
