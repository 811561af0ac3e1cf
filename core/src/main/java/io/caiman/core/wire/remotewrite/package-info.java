/** Prometheus remote write 1.0 and 2.0: snappy + protobuf bodies into samples. */
package io.caiman.core.wire.remotewrite;
