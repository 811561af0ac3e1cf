/** The Graphite plaintext protocol, tagged series, and graphite_exporter-style mapping rules. */
package io.caiman.core.wire.graphite;
