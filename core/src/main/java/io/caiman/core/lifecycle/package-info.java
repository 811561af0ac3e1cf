/** The start/close state machine every Caiman service follows. */
package io.caiman.core.lifecycle;
