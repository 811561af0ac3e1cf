/**
 * Avro single-object encoding for Caiman's records, the stored schema history, and the compatibility
 * check that keeps every change readable by old and new processes.
 */
package io.caiman.schemas.codec;
