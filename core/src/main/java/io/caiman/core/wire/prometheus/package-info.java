/** The Prometheus text exposition format: a parser that reports every error with line and column. */
package io.caiman.core.wire.prometheus;
