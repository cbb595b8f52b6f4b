/**
 * What watches the statements plugins run through the host (metrics, traces), told about each one
 * by PluginDatabase. The database layer only names the hook; host/metrics/ implements it.
 */

/** Ends one statement's observation; `errorCode` (a SQLSTATE or a CORRAL_E_... code) when it failed. */
export type QueryDone = (errorCode?: string) => void;

export interface QueryObserver {
  /**
   * A statement arrived from the plugin; the answer is QueryDone's call, when it is answered
   * (waiting for a connection included). `traceparent`: the request it was sent for, if any.
   */
  started(sql: string, traceparent: string | undefined): QueryDone;
}
