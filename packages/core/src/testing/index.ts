/**
 * Test doubles for Toolwright, public on purpose: every package's tests use these
 * instead of inventing their own fakes.
 *
 * @packageDocumentation
 */
export { ScriptedModel } from './scripted-model.js';
export type {
  RecordedCall,
  ScriptedError,
  ScriptedModelOptions,
  ScriptedResponse,
  ScriptStep,
} from './scripted-model.js';
export { chatCompletion, chatError, startChatServer } from './chat-server.js';
export type {
  ChatCompletionReplyOptions,
  ChatServer,
  ChatServerHandler,
  ChatServerReply,
  ChatServerRequest,
} from './chat-server.js';
export { flakyServicePrice, startFlakyService } from './flaky-service.js';
export type {
  FlakyService,
  FlakyServiceAnswer,
  FlakyServiceOptions,
  FlakyServiceRequest,
  FlakyServiceSchedule,
} from './flaky-service.js';
