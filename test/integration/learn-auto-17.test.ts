import { lessonSuite } from './learn-lessons.js';

// Lesson 17 (images and layers: diff, the upperdir's whiteouts, commit of a stopped and a running container, history, the layer stack from the host), in a file of its own.
lessonSuite({ lesson: 17 });
