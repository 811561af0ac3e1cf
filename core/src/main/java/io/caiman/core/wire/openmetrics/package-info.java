/** OpenMetrics 1.0 text: a strict parser, tested against the OpenMetrics conformance suite. */
package io.caiman.core.wire.openmetrics;
