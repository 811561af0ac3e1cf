/** OpenTelemetry metrics (OTLP, protobuf and JSON) into Prometheus samples, named as Prometheus' OTLP receiver names them. */
package io.caiman.core.wire.otlp;
