/** Kafka plumbing shared by every process: client settings, topic specs, and topic creation and checks. */
package io.caiman.core.kafka;
