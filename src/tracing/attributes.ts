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
 *
 * Why name objects: a name is made once (litegate's are constants), and the protobuf encoder
 * keeps its encoding on it; found by the name's text, that was a map lookup per attribute,
 * some twenty a request.
 */
import type { EncodedName } from "./otlp-protobuf.js";

/** A span attribute's value: what litegate's spans carry. */
export type AttributeValue = string | number | boolean;

/** An attribute's name, made once and used for every span that carries it. */
export class AttributeName {
  /** What the protobuf encoder (otlp-protobuf.ts) wrote of this name, kept from its first use. */
  encoded: EncodedName | undefined = undefined;

  constructor(
    readonly text: string,
    /** Its values recur (models, deployments, keys): an encoder may keep their encodings. Not so a request's id. */
    readonly recurring = true,
  ) {}
}

/** Names made from text (resource attributes, blocks' records) are kept, up to this many. */
const MAX_KEPT_NAMES = 512;
const namesByText = new Map<string, AttributeName>();

/** The name for `text`: the same object each time, while few names have been asked for. */
export function attributeName(text: string): AttributeName {
  let name = namesByText.get(text);
  if (name === undefined) {
    name = new AttributeName(text);
    if (namesByText.size < MAX_KEPT_NAMES) namesByText.set(text, name);
  }
  return name;
}

/** Attributes many spans share, never changed once made (the encoder keeps their encoding). */
export class AttributeBlock {
  readonly names: readonly AttributeName[];
  readonly values: readonly AttributeValue[];

  constructor(record: Readonly<Record<string, AttributeValue>>) {
    this.names = Object.keys(record).map(attributeName);
    this.values = Object.values(record);
  }
}

const EMPTY = new AttributeBlock({});

export class SpanAttributes {
  readonly names: AttributeName[] = [];
  readonly values: AttributeValue[] = [];

  /** `shared`: the block this span starts with; the names added after it are not in it. */
  constructor(readonly shared: AttributeBlock = EMPTY) {}

  /** Adds `name`, which the span has not been given yet (names are unique, as OTLP wants them): no lookup. */
  add(name: AttributeName, value: AttributeValue): this {
    this.names.push(name);
    this.values.push(value);
    return this;
  }

  /** The attributes as a record, the shared block's first (the SDK's JSON serializer and the tests read them so). */
  toRecord(): Record<string, AttributeValue> {
    const record: Record<string, AttributeValue> = {};
    const { shared } = this;
    for (let i = 0; i < shared.names.length; i++)
      record[(shared.names[i] as AttributeName).text] = shared.values[i] as AttributeValue;
    for (let i = 0; i < this.names.length; i++)
      record[(this.names[i] as AttributeName).text] = this.values[i] as AttributeValue;
    return record;
  }

  static of(record: Readonly<Record<string, AttributeValue>>): SpanAttributes {
    const attributes = new SpanAttributes();
    for (const [text, value] of Object.entries(record)) attributes.add(attributeName(text), value);
    return attributes;
  }
}
