/** Metrics shared by every Caiman process. */
package io.caiman.core.metrics;
