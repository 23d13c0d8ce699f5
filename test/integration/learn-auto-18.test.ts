import { lessonSuite } from './learn-lessons.js';

// Lesson 18 (cp out and in, a symlink resolved inside the container, a stopped container's files, a tar stream, system df, container and image prune), in a file of its own.
lessonSuite({ lesson: 18 });
