/** The gateway's only Kafka producer: samples to the oplog, answered only when acknowledged. */
package io.caiman.gateway.oplog;
