/** The StatsD line protocol, with DogStatsD, InfluxDB, Librato and SignalFx tags. */
package io.caiman.core.wire.statsd;
