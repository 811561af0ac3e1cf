/** What processors serve: per-series state in the Prometheus text format. */
package io.caiman.processor.query;
