/** InfluxDB line protocol: the reference decoder's rules, and Telegraf's naming for the samples. */
package io.caiman.core.wire.influx;
