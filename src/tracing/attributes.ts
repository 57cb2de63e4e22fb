/**
 * A span's attributes: names and values in two parallel arrays, in the order set, after the
 * block of attributes it shares with other spans, if any.
 *
 * Why not a plain record: each span kind's record had its own set of keys, so V8 saw many
 * object shapes where the encoder read them (`for…in` and `record[key]`), and those loads
 * went megamorphic: in a profile of the gateway they cost about as much as the encoding
 * itself. Every list here has one shape, and reading it is an indexed loop.
 *
 * Why blocks: most of an upstream attempt's attributes (its deployment, provider, model,
 * server, model group) and some of a request's (its method and route) are the same on every
 * span of that deployment or route. Kept as one unchanging block, they are encoded once and
 * copied whole, instead of being looked up and written one by one for every request.
 */

/** A span attribute's value: what litegate's spans carry. */
export type AttributeValue = string | number | boolean;

/** Attributes many spans share, never changed once made (the encoder keeps their encoding). */
export class AttributeBlock {
  readonly names: readonly string[];
  readonly values: readonly AttributeValue[];

  constructor(record: Readonly<Record<string, AttributeValue>>) {
    this.names = Object.keys(record);
    this.values = Object.values(record);
  }
}

const EMPTY = new AttributeBlock({});

export class SpanAttributes {
  readonly names: string[] = [];
  readonly values: AttributeValue[] = [];

  /** `shared`: the block this span starts with; the names added after it are not in it. */
  constructor(readonly shared: AttributeBlock = EMPTY) {}

  /** Adds `name`, which the span has not been given yet (names are unique, as OTLP wants them): no lookup. */
  add(name: string, value: AttributeValue): this {
    this.names.push(name);
    this.values.push(value);
    return this;
  }

  /** The attributes as a record, the shared block's first (the SDK's JSON serializer and the tests read them so). */
  toRecord(): Record<string, AttributeValue> {
    const record: Record<string, AttributeValue> = {};
    const { shared } = this;
    for (let i = 0; i < shared.names.length; i++)
      record[shared.names[i] as string] = shared.values[i] as AttributeValue;
    for (let i = 0; i < this.names.length; i++) record[this.names[i] as string] = this.values[i] as AttributeValue;
    return record;
  }

  static of(record: Readonly<Record<string, AttributeValue>>): SpanAttributes {
    const attributes = new SpanAttributes();
    for (const [name, value] of Object.entries(record)) attributes.add(name, value);
    return attributes;
  }
}
