import { describeCaseStorage } from './case-storage.suite.js';
import { memoryBackend, sqliteBackend } from './test-support/backends.js';

describeCaseStorage(memoryBackend);
describeCaseStorage(sqliteBackend);
