/** The processor's Kafka Streams topology, built purely from configuration, with stable names. */
package io.caiman.processor.topology;
