/**
 * The CRaC implementation that org.crac (a function's dependency, org.crac:crac) finds through the
 * system property {@code org.crac.Core.Compat}, set by the shim to this package: org.crac loads
 * {@code Core}, {@code Context}, {@code Resource}, {@code CheckpointException} and
 * {@code RestoreException} from here by name and forwards its calls to them. Resources registered
 * with {@code org.crac.Core.getGlobalContext()} are told beforeCheckpoint when the engine asks the
 * instance to prepare for its snapshot, and afterRestore on the first request after a restore.
 */
package dev.spice.runtime.crac;
