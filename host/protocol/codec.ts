/**
 * The host's codec: plain message objects <-> framed Cap'n Proto bytes, with capnp-ts.
 *
 * Decoding only accepts what a plugin may send (schemas/messages.ts `PluginToHost`); anything
 * else, or bytes capnp-ts cannot read, throws a `ProtocolViolation` so the caller ends the plugin.
 */
import * as capnp from "capnp-ts";
import { Frame, Frame_Which, LogRecord_Level, MigrateCommand_Action, TransactionControl_Action } from "../../schemas/generated/capnp-ts/protocol.capnp.js";
import { decodeResponseFast, encodeRequestFast } from "../../schemas/fast-path.ts";
import { LOG_LEVELS, MIGRATE_ACTIONS, TRANSACTION_ACTIONS } from "../../schemas/messages.ts";
import type {
  HostToPlugin,
  InitMessage,
  PluginToHost,
  RequestMessage,
  ShutdownMessage,
} from "../../schemas/messages.ts";

/** A frame the host cannot accept from a plugin. */
export class ProtocolViolation extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ProtocolViolation";
  }
}

/** Encodes one host message as a framed Cap'n Proto message. */
export function encodeHostMessage(message: HostToPlugin): Uint8Array {
  // The hot path: every HTTP request; hand-written, ~10x cheaper than capnp-ts (schemas/fast-path.ts).
  if (message.type === "request") {
    return encodeRequestFast(message.id, message.method, message.url, message.headers, message.body, message.remoteAddress);
  }
  return encodeWithCapnpTs(message);
}

/** {@linkcode encodeHostMessage} through capnp-ts only: the reference the fast path is tested against. */
export function encodeWithCapnpTs(message: HostToPlugin): Uint8Array {
  const msg = new capnp.Message();
  const frame = msg.initRoot(Frame);
  frame.setId(message.id);
  switch (message.type) {
    case "request":
      writeRequest(frame, message);
      break;
    case "init":
      writeInit(frame, message);
      break;
    case "ping":
      frame.setPing();
      break;
    case "shutdown":
      writeShutdown(frame, message);
      break;
    case "error": {
      const error = frame.initError();
      error.setCode(message.code);
      error.setMessage(message.message);
      if (message.sqlState) error.setSqlState(message.sqlState);
      break;
    }
    case "queryResult": {
      const result = frame.initQueryResult();
      result.setRowsJson(message.rowsJson);
      // capnp-ts 0.9 takes a bigint here (the 0.7 generator still names its old Int64 class).
      result.setRowCount(BigInt(message.rowCount));
      result.setCommand(message.command);
      result.setTransactionId(message.transactionId);
      break;
    }
    case "migrate":
      frame.initMigrate().setAction(MIGRATE_ACTIONS.indexOf(message.action) as MigrateCommand_Action);
      break;
    case "call": {
      const call = frame.initCall();
      call.setMethod(message.method);
      call.setPayloadJson(message.payloadJson);
      break;
    }
    case "callResult":
      frame.initCallResult().setPayloadJson(message.payloadJson);
      break;
  }
  return new Uint8Array(msg.toArrayBuffer());
}

function writeRequest(frame: Frame, message: RequestMessage): void {
  const request = frame.initRequest();
  request.setMethod(message.method);
  request.setUrl(message.url);
  request.setHeaders(message.headers);
  if (message.body.byteLength > 0) request.initBody(message.body.byteLength).copyBuffer(message.body);
  request.setRemoteAddress(message.remoteAddress);
}

function writeInit(frame: Frame, message: InitMessage): void {
  const init = frame.initInit();
  init.setProtocolMajor(message.protocolMajor);
  init.setProtocolMinor(message.protocolMinor);
  init.setHostVersion(message.hostVersion);
  init.setPluginName(message.pluginName);
  init.setPluginVersion(message.pluginVersion);
  init.setEntryUrl(message.entryUrl);
  init.setMountPath(message.mountPath);
  init.setConfigJson(message.configJson);
  init.setMaxBodyBytes(message.maxBodyBytes);
  const features = init.initFeatures(message.features.length);
  message.features.forEach((feature, i) => features.set(i, feature));
}

function writeShutdown(frame: Frame, message: ShutdownMessage): void {
  const shutdown = frame.initShutdown();
  shutdown.setReason(message.reason);
  shutdown.setDeadlineMs(message.deadlineMs);
}

/**
 * Decodes one whole frame (as cut by `FrameReader`) from a plugin.
 *
 * @throws {ProtocolViolation} for undecodable bytes or a message a plugin may not send.
 */
export function decodePluginMessage(bytes: ArrayBuffer | Uint8Array): PluginToHost {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  // The hot path: every HTTP response. It declines anything unusual, which capnp-ts then reads.
  return decodeResponseFast(view) ?? decodeWithCapnpTs(bytes);
}

/** {@linkcode decodePluginMessage} through capnp-ts only: the reference the fast path is tested against. */
export function decodeWithCapnpTs(bytes: ArrayBuffer | Uint8Array): PluginToHost {
  let frame: Frame;
  try {
    // An ArrayBuffer is read in place; a Uint8Array view would be copied by capnp-ts.
    frame = new capnp.Message(bytes, false).getRoot(Frame);
    return readFrame(frame);
  } catch (error) {
    if (error instanceof ProtocolViolation) throw error;
    throw new ProtocolViolation(`undecodable frame of ${bytes.byteLength} bytes: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function readFrame(frame: Frame): PluginToHost {
  const id = frame.getId();
  switch (frame.which()) {
    case Frame_Which.RESPONSE: {
      const response = frame.getResponse();
      return {
        type: "response",
        id,
        status: response.getStatus(),
        headers: response.getHeaders(),
        body: response.hasBody() ? response.getBody().toUint8Array().slice() : new Uint8Array(0),
      };
    }
    case Frame_Which.LOG: {
      const log = frame.getLog();
      const level = LOG_LEVELS[log.getLevel()];
      if (level === undefined) throw new ProtocolViolation(`log record with unknown level ${log.getLevel()}`);
      return {
        type: "log",
        id,
        level,
        message: log.getMessage(),
        fieldsJson: log.getFieldsJson(),
        timeMs: log.getTimeMs(),
      };
    }
    case Frame_Which.PONG:
      return { type: "pong", id };
    case Frame_Which.HELLO: {
      const hello = frame.getHello();
      return {
        type: "hello",
        id,
        protocolMajor: hello.getProtocolMajor(),
        protocolMinor: hello.getProtocolMinor(),
        sdkVersion: hello.getSdkVersion(),
        runtimeVersion: hello.getRuntimeVersion(),
        features: hello.getFeatures().toArray(),
      };
    }
    case Frame_Which.READY:
      return { type: "ready", id, routeCount: frame.getReady().getRouteCount() };
    case Frame_Which.SHUTDOWN_COMPLETE:
      return { type: "shutdownComplete", id };
    case Frame_Which.ERROR: {
      const error = frame.getError();
      return { type: "error", id, code: error.getCode(), message: error.getMessage(), sqlState: error.getSqlState() };
    }
    case Frame_Which.QUERY: {
      const query = frame.getQuery();
      const traceparent = query.getTraceparent();
      return {
        type: "query", id, sql: query.getSql(), paramsJson: query.getParamsJson(), transactionId: query.getTransactionId(),
        ...(traceparent === "" ? {} : { traceparent }),
      };
    }
    case Frame_Which.TRANSACTION: {
      const control = frame.getTransaction();
      const action = TRANSACTION_ACTIONS[control.getAction()];
      if (action === undefined) throw new ProtocolViolation(`transaction with unknown action ${control.getAction()}`);
      return { type: "transaction", id, action, transactionId: control.getTransactionId() };
    }
    case Frame_Which.MIGRATE_RESULT:
      return { type: "migrateResult", id, resultJson: frame.getMigrateResult().getResultJson() };
    case Frame_Which.CALL: {
      const call = frame.getCall();
      return { type: "call", id, method: call.getMethod(), payloadJson: call.getPayloadJson() };
    }
    case Frame_Which.CALL_RESULT:
      return { type: "callResult", id, payloadJson: frame.getCallResult().getPayloadJson() };
    default:
      throw new ProtocolViolation(`a plugin may not send a frame of kind ${Frame_Which[frame.which()] ?? frame.which()}`);
  }
}

// Keep the enum lists honest: their order must match the schema's enums.
if (
  LogRecord_Level.ERROR !== LOG_LEVELS.indexOf("error") ||
  TransactionControl_Action.ROLLBACK !== TRANSACTION_ACTIONS.indexOf("rollback") ||
  MigrateCommand_Action.DOWN !== MIGRATE_ACTIONS.indexOf("down")
) {
  throw new Error("schemas/messages.ts enum lists are out of step with protocol.capnp");
}
