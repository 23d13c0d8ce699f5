import { lessonSuite } from './learn-lessons.js';

// Lesson 9 (ports and links: -p with an address, -P and port, udp and GLASS-DNAT, --link variables and hosts), in a file of its own.
lessonSuite({ lesson: 9 });
