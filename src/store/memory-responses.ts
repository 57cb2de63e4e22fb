/**
 * The Responses API's conversations for a gateway without a database (an open gateway with no
 * database setting): kept in this process only, the most recent MAX_RESPONSES of them, lost at
 * restart and not shared between workers or instances.
 */
import type { ResponseRecord, Store } from "./types.js";

export type ResponseStore = Pick<Store, "saveResponse" | "getResponse" | "deleteResponse">;

/** Enough for many live conversations, bounded so a busy gateway's memory is too. */
export const MAX_RESPONSES = 10_000;

export class MemoryResponseStore implements ResponseStore {
  /** In insertion order: the first is the oldest, dropped when the bound is reached. */
  private readonly records = new Map<string, ResponseRecord>();

  constructor(private readonly limit = MAX_RESPONSES) {}

  async saveResponse(record: ResponseRecord): Promise<void> {
    this.records.delete(record.id);
    this.records.set(record.id, record);
    while (this.records.size > this.limit) {
      const oldest = this.records.keys().next().value;
      if (oldest === undefined) break;
      this.records.delete(oldest);
    }
  }

  async getResponse(id: string): Promise<ResponseRecord | undefined> {
    return this.records.get(id);
  }

  async deleteResponse(id: string): Promise<boolean> {
    return this.records.delete(id);
  }
}
