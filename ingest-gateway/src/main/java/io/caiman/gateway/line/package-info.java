/** TCP and UDP line listeners: Graphite plaintext, Influx lines, Prometheus text, and Alligator's raw mix. */
package io.caiman.gateway.line;
