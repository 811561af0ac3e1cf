/** Test helpers: the shared embedded cluster, scaled timeouts, and test configurations. */
package io.caiman.testing;
