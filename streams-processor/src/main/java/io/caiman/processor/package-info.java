/** Stream processors: Kafka Streams over the oplog, exactly once, with their HTTP endpoints. */
package io.caiman.processor;
