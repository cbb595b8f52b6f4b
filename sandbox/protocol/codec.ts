/**
 * Converts between protocol messages as plain objects (schemas/messages.ts) and their Cap'n Proto
 * bytes in stream framing, on the Deno side.
 *
 * @module
 */

import * as $ from "capnp-es";
import * as wire from "../../schemas/generated/capnp-es/protocol.ts";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import { LOG_LEVELS, MIGRATE_ACTIONS, TRANSACTION_ACTIONS } from "../../schemas/messages.ts";
import type { HostToPlugin, PluginToHost } from "../../schemas/messages.ts";
import { decodeRequestFast, encodeResponseFast } from "../../schemas/fast-path.ts";
import { DEFAULT_MAX_SEGMENTS } from "../../schemas/framing.ts";

export type {
  ErrorMessage,
  HelloMessage,
  InitMessage,
  LogMessage,
  RequestMessage,
  ResponseMessage,
  ShutdownMessage,
} from "../../schemas/messages.ts";

/** Any message of the protocol, either way, as a plain object. */
export type Frame = HostToPlugin | PluginToHost;

/** Encodes `frame` as one stream-framed Cap'n Proto message. */
export function encodeFrame(frame: Frame): Uint8Array {
  if (frame.type === "response") return encodeResponseFast(frame.id, frame.status, frame.headers, frame.body);
  return encodeWithCapnpEs(frame);
}

/**
 * Decodes one stream-framed message (exactly one frame, as FrameReader cuts them). Byte fields
 * are views into `bytes` or the decoded message, not copies. Throws a `CorralError`
 * `CORRAL_E_PROTOCOL_VIOLATION` for bytes that are not a frame, a frame that names no message,
 * and the parts of the schema protocol 1.0 does not use (streamed bodies).
 */
export function decodeFrame(bytes: ArrayBuffer | Uint8Array): Frame {
  try {
    return decodeRequestFast(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)) ?? readWithCapnpEs(bytes);
  } catch (error) {
    throw asViolation(error);
  }
}

/** {@linkcode encodeFrame} through capnp-es only: the reference the fast path is tested against. */
export function encodeWithCapnpEs(frame: Frame): Uint8Array {
  const message = new $.Message();
  const root = message.initRoot(wire.Frame);
  root.id = frame.id;
  switch (frame.type) {
    case "hello": {
      const m = root._initHello();
      m.protocolMajor = frame.protocolMajor;
      m.protocolMinor = frame.protocolMinor;
      m.sdkVersion = frame.sdkVersion;
      m.runtimeVersion = frame.runtimeVersion;
      setTexts(m._initFeatures(frame.features.length), frame.features);
      break;
    }
    case "init": {
      const m = root._initInit();
      m.protocolMajor = frame.protocolMajor;
      m.protocolMinor = frame.protocolMinor;
      m.hostVersion = frame.hostVersion;
      m.pluginName = frame.pluginName;
      m.pluginVersion = frame.pluginVersion;
      m.entryUrl = frame.entryUrl;
      m.mountPath = frame.mountPath;
      m.configJson = frame.configJson;
      m.maxBodyBytes = frame.maxBodyBytes;
      setTexts(m._initFeatures(frame.features.length), frame.features);
      break;
    }
    case "ready":
      root._initReady().routeCount = frame.routeCount;
      break;
    case "request": {
      const m = root._initRequest();
      m.method = frame.method;
      m.url = frame.url;
      m.headers = frame.headers;
      if (frame.body.byteLength > 0) m._initBody(frame.body.byteLength).copyBuffer(frame.body);
      m.remoteAddress = frame.remoteAddress;
      break;
    }
    case "response": {
      const m = root._initResponse();
      m.status = frame.status;
      m.headers = frame.headers;
      if (frame.body.byteLength > 0) m._initBody(frame.body.byteLength).copyBuffer(frame.body);
      break;
    }
    case "ping":
      root.ping = true;
      break;
    case "pong":
      root.pong = true;
      break;
    case "shutdownComplete":
      root.shutdownComplete = true;
      break;
    case "shutdown": {
      const m = root._initShutdown();
      m.reason = frame.reason;
      m.deadlineMs = frame.deadlineMs;
      break;
    }
    case "log": {
      const m = root._initLog();
      m.level = LOG_LEVELS.indexOf(frame.level) as wire.LogRecord_Level;
      m.message = frame.message;
      if (frame.fieldsJson !== "") m.fieldsJson = frame.fieldsJson;
      m.timeMs = frame.timeMs;
      break;
    }
    case "error": {
      const m = root._initError();
      m.code = frame.code;
      m.message = frame.message;
      if (frame.sqlState) m.sqlState = frame.sqlState;
      break;
    }
    case "query": {
      const m = root._initQuery();
      m.sql = frame.sql;
      m.paramsJson = frame.paramsJson;
      m.transactionId = frame.transactionId;
      if (frame.traceparent) m.traceparent = frame.traceparent;
      break;
    }
    case "queryResult": {
      const m = root._initQueryResult();
      m.rowsJson = frame.rowsJson;
      m.rowCount = BigInt(frame.rowCount);
      m.command = frame.command;
      m.transactionId = frame.transactionId;
      break;
    }
    case "transaction": {
      const m = root._initTransaction();
      m.action = TRANSACTION_ACTIONS.indexOf(frame.action) as wire.TransactionControl_Action;
      m.transactionId = frame.transactionId;
      break;
    }
    case "migrate":
      root._initMigrate().action = MIGRATE_ACTIONS.indexOf(frame.action) as wire.MigrateCommand_Action;
      break;
    case "migrateResult":
      root._initMigrateResult().resultJson = frame.resultJson;
      break;
    case "call": {
      const m = root._initCall();
      m.method = frame.method;
      m.payloadJson = frame.payloadJson;
      break;
    }
    case "callResult":
      root._initCallResult().payloadJson = frame.payloadJson;
      break;
  }
  return new Uint8Array(message.toArrayBuffer());
}

/** {@linkcode decodeFrame} through capnp-es only: the reference the fast path is tested against. */
export function decodeWithCapnpEs(bytes: ArrayBuffer | Uint8Array): Frame {
  try {
    return readWithCapnpEs(bytes);
  } catch (error) {
    throw asViolation(error);
  }
}

function readWithCapnpEs(bytes: ArrayBuffer | Uint8Array): Frame {
  checkSegmentTable(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
  return readFrame(new $.Message(bytes, false).getRoot(wire.Frame));
}

/**
 * capnp-es allocates an array as long as the declared segment count before it checks anything,
 * which takes seconds for a corrupt count; so the table must match the bytes before it sees them.
 */
function checkSegmentTable(bytes: Uint8Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const segments = bytes.byteLength >= 4 ? view.getUint32(0, true) + 1 : 0;
  const tableBytes = (4 + 4 * segments + 7) & ~7;
  let size = tableBytes;
  if (segments > 0 && segments <= DEFAULT_MAX_SEGMENTS && tableBytes <= bytes.byteLength) {
    for (let i = 0; i < segments; i++) size += view.getUint32(4 + 4 * i, true) * 8;
    if (size === bytes.byteLength) return;
  }
  throw violation(`the segment table does not describe a frame of ${bytes.byteLength} bytes`);
}

const EMPTY = new Uint8Array(0);

function readFrame(root: wire.Frame): Frame {
  const id = root.id;
  const which = root.which();
  switch (which) {
    case wire.Frame_Which.HELLO: {
      const m = root.hello;
      return {
        type: "hello",
        id,
        protocolMajor: m.protocolMajor,
        protocolMinor: m.protocolMinor,
        sdkVersion: m.sdkVersion,
        runtimeVersion: m.runtimeVersion,
        features: m.features.toArray(),
      };
    }
    case wire.Frame_Which.INIT: {
      const m = root.init;
      return {
        type: "init",
        id,
        protocolMajor: m.protocolMajor,
        protocolMinor: m.protocolMinor,
        hostVersion: m.hostVersion,
        pluginName: m.pluginName,
        pluginVersion: m.pluginVersion,
        entryUrl: m.entryUrl,
        mountPath: m.mountPath,
        configJson: m.configJson,
        maxBodyBytes: m.maxBodyBytes,
        features: m.features.toArray(),
      };
    }
    case wire.Frame_Which.READY:
      return { type: "ready", id, routeCount: root.ready.routeCount };
    case wire.Frame_Which.REQUEST: {
      const m = root.request;
      if (m.bodyStreamed) throw violation(`request ${id} has a streamed body, but no peer negotiated "stream-body"`);
      return {
        type: "request",
        id,
        method: m.method,
        url: m.url,
        headers: m.headers,
        body: m._hasBody() ? m.body.toUint8Array() : EMPTY,
        remoteAddress: m.remoteAddress,
      };
    }
    case wire.Frame_Which.RESPONSE: {
      const m = root.response;
      if (m.bodyStreamed) throw violation(`response ${id} has a streamed body, but no peer negotiated "stream-body"`);
      return {
        type: "response",
        id,
        status: m.status,
        headers: m.headers,
        body: m._hasBody() ? m.body.toUint8Array() : EMPTY,
      };
    }
    case wire.Frame_Which.BODY_CHUNK:
      throw violation(`frame ${id} is a bodyChunk, which needs the "stream-body" feature no peer negotiated`);
    case wire.Frame_Which.PING:
      return { type: "ping", id };
    case wire.Frame_Which.PONG:
      return { type: "pong", id };
    case wire.Frame_Which.SHUTDOWN_COMPLETE:
      return { type: "shutdownComplete", id };
    case wire.Frame_Which.SHUTDOWN: {
      const m = root.shutdown;
      return { type: "shutdown", id, reason: m.reason, deadlineMs: m.deadlineMs };
    }
    case wire.Frame_Which.LOG: {
      const m = root.log;
      const level = LOG_LEVELS[m.level];
      if (level === undefined) throw violation(`log frame ${id} has unknown level ${m.level}`);
      return { type: "log", id, level, message: m.message, fieldsJson: m.fieldsJson, timeMs: m.timeMs };
    }
    case wire.Frame_Which.ERROR: {
      const m = root.error;
      return { type: "error", id, code: m.code, message: m.message, sqlState: m.sqlState };
    }
    case wire.Frame_Which.QUERY: {
      const m = root.query;
      return { type: "query", id, sql: m.sql, paramsJson: m.paramsJson, transactionId: m.transactionId, ...(m.traceparent === "" ? {} : { traceparent: m.traceparent }) };
    }
    case wire.Frame_Which.QUERY_RESULT: {
      const m = root.queryResult;
      return {
        type: "queryResult",
        id,
        rowsJson: m.rowsJson,
        rowCount: Number(m.rowCount),
        command: m.command,
        transactionId: m.transactionId,
      };
    }
    case wire.Frame_Which.TRANSACTION: {
      const m = root.transaction;
      const action = TRANSACTION_ACTIONS[m.action];
      if (action === undefined) throw violation(`transaction frame ${id} has unknown action ${m.action}`);
      return { type: "transaction", id, action, transactionId: m.transactionId };
    }
    case wire.Frame_Which.MIGRATE: {
      const action = MIGRATE_ACTIONS[root.migrate.action];
      if (action === undefined) throw violation(`migrate frame ${id} has unknown action ${root.migrate.action}`);
      return { type: "migrate", id, action };
    }
    case wire.Frame_Which.MIGRATE_RESULT:
      return { type: "migrateResult", id, resultJson: root.migrateResult.resultJson };
    case wire.Frame_Which.CALL:
      return { type: "call", id, method: root.call.method, payloadJson: root.call.payloadJson };
    case wire.Frame_Which.CALL_RESULT:
      return { type: "callResult", id, payloadJson: root.callResult.payloadJson };
    case wire.Frame_Which.UNSPECIFIED:
      throw violation(`frame ${id} names no message (union member "unspecified")`);
    default:
      throw violation(`frame ${id} holds union member ${which as number}, unknown to protocol 1.1`);
  }
}

// The enum lists of schemas/messages.ts must follow the schema's enum order.
if (
  wire.LogRecord_Level.ERROR !== LOG_LEVELS.indexOf("error") ||
  wire.TransactionControl_Action.ROLLBACK !== TRANSACTION_ACTIONS.indexOf("rollback") ||
  wire.MigrateCommand_Action.DOWN !== MIGRATE_ACTIONS.indexOf("down")
) {
  throw new Error("schemas/messages.ts enum lists are out of step with protocol.capnp");
}

function setTexts(list: $.List<string>, values: readonly string[]): void {
  for (let i = 0; i < values.length; i++) list.set(i, values[i]);
}

function violation(message: string): CorralError {
  return new CorralError(ErrorCode.PROTOCOL_VIOLATION, message);
}

function asViolation(error: unknown): CorralError {
  if (error instanceof CorralError) return error;
  return new CorralError(
    ErrorCode.PROTOCOL_VIOLATION,
    `undecodable frame: ${(error as Error)?.message ?? String(error)}`,
    {
      cause: error,
    },
  );
}
