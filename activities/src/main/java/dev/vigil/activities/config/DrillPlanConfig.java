package dev.vigil.activities.config;

/** A DR drill plan */
public record DrillPlanConfig(String name) {}
