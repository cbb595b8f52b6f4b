/** The auth plugin's tables as Kysely sees them (see migrations.ts). */
import type { Generated } from "kysely";

export interface Database {
  users: { id: Generated<string>; name: string; password_hash: string; created_at: Generated<Date> };
  user_roles: { user_id: string; role: string };
  sessions: { token_hash: string; user_id: string; expires_at: Date };
  login_failures: { name: string; address: string; at: Generated<Date> };
  reset_tokens: { token_hash: string; user_id: string; expires_at: Date };
}
