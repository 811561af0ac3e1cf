/** Caiman's exception root, shared by every module. */
package io.caiman.error;
