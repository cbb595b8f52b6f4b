# The wire protocol between the Corral host (Node) and one plugin process (Deno).
#
# Design: one duplex byte stream per plugin (the child's fd 3), carrying Cap'n Proto messages in the
# standard stream framing (segment table, then segments). Every message is one `Frame`. The plugin
# side is untrusted: the host treats any frame it cannot decode, any frame over its size cap, any
# reply to an id it never sent and any message out of order as a protocol violation, and ends that
# plugin rather than guess. Nothing is granted by the protocol itself: the plugin can only answer
# what it is asked and send logs; every host service it may call (database queries, events...) is a
# message type the host checks against the plugin's manifest.
#
# Versioning: `protocolVersion` below is exchanged in the handshake. Adding a field or a union
# member is a minor change (old peers ignore fields they do not know; a new message type is only
# sent to a peer that announced the matching feature in its handshake). Changing the meaning or
# number of an existing field is a major change and bumps `protocolMajor`.
#
# The prose description of the session (who sends what, when, and what ends it) is
# docs/protocol.md; keep the two in step.

@0x9750e3d3c0011713;

const protocolMajor :UInt16 = 1;
# Peers with different majors refuse each other in the handshake.

const protocolMinor :UInt16 = 1;
# Informational: the highest minor revision this schema describes.

struct Frame {
  # One message on the wire.

  id @0 :UInt32;
  # Correlates a reply with what it answers: a `response`, `pong` or `error` carries the id of the
  # `request`, `ping` or other message it answers. Ids are chosen by the side that asks, start at 1
  # and are never reused within a session; 0 means "not a reply and expects none" (logs, hello).

  union {
    unspecified @1 :Void;
    # Sentinel: a frame that names no message is a protocol violation.

    hello @2 :Hello;
    # Plugin -> host, the very first frame, sent before any plugin code is loaded.

    init @3 :Init;
    # Host -> plugin, answers `hello`: who the plugin is and what it is given.

    ready @4 :Ready;
    # Plugin -> host, answers `init` (same id) once the plugin module is loaded and its init hook ran.

    request @5 :HttpRequest;
    # Host -> plugin: one HTTP request for the plugin's routes. Answered by `response` or `error`.

    response @6 :HttpResponse;
    # Plugin -> host: the answer to the `request` with the same id.

    bodyChunk @7 :BodyChunk;
    # Reserved for streamed bodies (feature "stream-body"); not sent by protocol 1.0 peers.

    ping @8 :Void;
    # Host -> plugin liveness probe; answered by `pong` with the same id.

    pong @9 :Void;
    # Plugin -> host, answers `ping`.

    shutdown @10 :Shutdown;
    # Host -> plugin: run the shutdown hook, then answer `shutdownComplete` (same id) and exit.

    shutdownComplete @11 :Void;
    # Plugin -> host, answers `shutdown`.

    log @12 :LogRecord;
    # Plugin -> host: one log record; id 0.

    error @13 :Error;
    # Either way: the message with this id failed. From the plugin it answers one of the host's
    # messages (init, request, migrate); from the host, one of the plugin's calls (query,
    # transaction): each side numbers what it asks. With id 0, a fatal error of the whole
    # session, sent just before the sender closes the stream.

    query @14 :Query;
    # Plugin -> host: run one SQL statement on the plugin's own database role. Answered by
    # `queryResult` or `error` (with `sqlState`). Only for plugins whose manifest says
    # "database": true; from any other plugin it is a protocol violation.

    queryResult @15 :QueryResult;
    # Host -> plugin, answers `query` or `transaction`.

    transaction @16 :TransactionControl;
    # Plugin -> host: begin, commit or roll back a transaction. Answered by `queryResult`
    # (for begin, with the new transaction's id) or `error`.

    migrate @17 :MigrateCommand;
    # Host -> plugin: report, apply or undo the plugin's migrations (operator action). Answered by
    # `migrateResult` or `error`.

    migrateResult @18 :MigrateResult;
    # Plugin -> host, answers `migrate`.

    call @19 :Call;
    # Either way, only with feature "calls" (minor 1): ask the other side to run one named method.
    # Plugin -> host: a host service (events.emit, extensions.gather, cache.*); the host checks
    # each against the plugin's manifest and answers `error` CORRAL_E_CALL_DENIED when it is not
    # granted. Host -> plugin: an entry point the plugin defined (hooks.*, events.deliver,
    # extensions.contribute, commands.run, templates.*). Answered by `callResult` or `error`.

    callResult @20 :CallResult;
    # Either way, answers the `call` with the same id (the side that called chose it).
  }
}

struct Hello {
  protocolMajor @0 :UInt16;
  protocolMinor @1 :UInt16;
  sdkVersion @2 :Text;
  # Version of the Corral SDK and runner inside the plugin process (semver).
  runtimeVersion @3 :Text;
  # Informational, e.g. "deno 2.9.6".
  features @4 :List(Text);
  # Optional protocol features this peer understands: "database" (it may send `query` and
  # `transaction`); "calls" (either side may send `call`); "stream-body" is reserved.
}

struct Init {
  protocolMajor @0 :UInt16;
  protocolMinor @1 :UInt16;
  hostVersion @2 :Text;
  pluginName @3 :Text;
  pluginVersion @4 :Text;
  entryUrl @5 :Text;
  # file: URL of the plugin's entry module, as the plugin process sees it.
  mountPath @6 :Text;
  # Where the host mounts the plugin's routes, e.g. "/plugins/hello". Request URLs arrive relative
  # to it.
  configJson @7 :Text;
  # The plugin's configuration from the host, as a JSON object.
  maxBodyBytes @8 :UInt32;
  # The largest response body the host accepts; the plugin answers 502 itself rather than exceed it.
  features @9 :List(Text);
  # Features the host enables for this session: the intersection with `Hello.features`.
}

struct Ready {
  routeCount @0 :UInt32;
  # Informational: how many routes the plugin's app registered.
}

struct HttpRequest {
  method @0 :Text;
  url @1 :Text;
  # Path and query relative to the mount path, always starting with "/" (e.g. "/notes?limit=5").
  headers @2 :Text;
  # All headers in one field, for speed (a list of structs costs ~10x more to encode): lower-case
  # names and values alternating, each followed by "\n" ("host\nexample.com\naccept\ntext/html\n").
  # HTTP forbids CR and LF in names and values, so "\n" cannot occur inside either.
  body @3 :Data;
  # The whole request body (empty for none). With feature "stream-body" and `bodyStreamed` set,
  # the body follows instead as `bodyChunk` frames with this request's id.
  bodyStreamed @4 :Bool;
  remoteAddress @5 :Text;
  # The client's address as the host reads it: the socket's peer, or, behind a proxy the host
  # policy trusts (http.trustedProxies), the client that proxy names in X-Forwarded-For. The
  # plugin sees it as c.env.request.clientAddress.
}

struct HttpResponse {
  status @0 :UInt16;
  headers @1 :Text;
  # Same encoding as `HttpRequest.headers`; "set-cookie" may repeat.
  body @2 :Data;
  bodyStreamed @3 :Bool;
  # See `HttpRequest.bodyStreamed`.
}

struct BodyChunk {
  data @0 :Data;
  last @1 :Bool;
}

struct Shutdown {
  reason @0 :Text;
  deadlineMs @1 :UInt32;
  # After this many milliseconds the host kills the process whatever state it is in.
}

struct LogRecord {
  level @0 :Level;
  message @1 :Text;
  fieldsJson @2 :Text;
  # Optional structured fields as a JSON object ("" for none).
  timeMs @3 :Float64;
  # Unix time in milliseconds when the plugin made the record.

  enum Level {
    debug @0;
    info @1;
    warn @2;
    error @3;
  }
}

struct Error {
  code @0 :Text;
  # A stable CORRAL_E_... code (see docs/errors.md).
  message @1 :Text;
  # What failed, with which value, and what to do. Never a stack trace.
  sqlState @2 :Text;
  # For database errors, Postgres' own five-character SQLSTATE (e.g. "42501"); "" otherwise.
}

struct Query {
  sql @0 :Text;
  # One statement, sent with Postgres' extended protocol: a string holding two statements fails.
  paramsJson @1 :Text;
  # The parameters as a JSON array in the typed-value encoding of schemas/sql-values.ts.
  transactionId @2 :UInt32;
  # 0: run on any pooled connection; otherwise the id of an open transaction of this plugin.
  traceparent @3 :Text;
  # The W3C traceparent of the request the statement was sent for (the request context's), so
  # the host's span for the statement joins that trace; "" outside a request.
}

struct QueryResult {
  rowsJson @0 :Text;
  # The rows as a JSON array of objects in the typed-value encoding of schemas/sql-values.ts.
  rowCount @1 :Int64;
  # Rows affected (INSERT/UPDATE/DELETE) or returned; -1 when Postgres reports none.
  command @2 :Text;
  # The statement's command tag, e.g. "SELECT", "INSERT".
  transactionId @3 :UInt32;
  # For `transaction` begin: the id of the new transaction.
}

struct TransactionControl {
  action @0 :Action;
  transactionId @1 :UInt32;
  # 0 for begin; the transaction's id for commit and rollback.

  enum Action {
    begin @0;
    commit @1;
    rollback @2;
  }
}

struct MigrateCommand {
  action @0 :Action;

  enum Action {
    status @0;
    latest @1;
    down @2;
  }
}

struct MigrateResult {
  resultJson @0 :Text;
  # {"applied": [names], "pending": [names], "executed": [{"name", "direction", "status"}]}
}

struct Call {
  method @0 :Text;
  # Dot-separated, e.g. "events.emit" or "hooks.beforeRequest"; the full list, with each
  # payload's shape, is in docs/protocol.md. An unknown method is answered with `error`
  # CORRAL_E_CALL_UNKNOWN, not a protocol violation, so either side can add methods in a minor.
  payloadJson @1 :Text;
  # The arguments as one JSON value ("" means null).
}

struct CallResult {
  payloadJson @0 :Text;
  # The method's result as one JSON value ("" means null).
}
