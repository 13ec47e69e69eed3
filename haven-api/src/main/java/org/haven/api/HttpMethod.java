package org.haven.api;

/** The HTTP methods PVE's API uses. */
public enum HttpMethod { GET, POST, PUT, DELETE }
