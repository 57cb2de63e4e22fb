/**
 * A span's attributes: names and values in two parallel arrays, in the order set.
 *
 * Why not a plain record: each span kind's record had its own set of keys, so V8 saw many
 * object shapes where the encoder read them (`for…in` and `record[key]`), and those loads
 * went megamorphic: in a profile of the gateway they cost about as much as the encoding
 * itself. Every list here has one shape, and reading it is an indexed loop.
 */

/** A span attribute's value: what litegate's spans carry. */
export type AttributeValue = string | number | boolean;

export class SpanAttributes {
  readonly names: string[] = [];
  readonly values: AttributeValue[] = [];

  /** Adds `name`, which the span has not been given yet (names are unique, as OTLP wants them): no lookup. */
  add(name: string, value: AttributeValue): this {
    this.names.push(name);
    this.values.push(value);
    return this;
  }

  /** The attributes as a record (the SDK's JSON serializer and the tests read them so). */
  toRecord(): Record<string, AttributeValue> {
    const record: Record<string, AttributeValue> = {};
    for (let i = 0; i < this.names.length; i++) record[this.names[i] as string] = this.values[i] as AttributeValue;
    return record;
  }

  static of(record: Readonly<Record<string, AttributeValue>>): SpanAttributes {
    const attributes = new SpanAttributes();
    for (const [name, value] of Object.entries(record)) attributes.add(name, value);
    return attributes;
  }
}
