-- AdaMec: PostgreSQL schema for Orleans ADO.NET grain storage (the provider "adamec" durable grains
-- persist to: planners, device and link context, the deployment directory).
-- Written for AdaMec against the query keys Orleans' ADO.NET persistence provider reads from the
-- OrleansQuery table (Microsoft.Orleans.Persistence.AdoNet, invariant "Npgsql"):
--   ReadFromStorageKey  parameters @ServiceId @GrainTypeString @GrainIdN0 @GrainIdN1 @GrainIdExtensionString
--                       (and hashes, unused here); answers PayloadBinary and Version, no row when never written.
--   WriteToStorageKey   the same plus @GrainStateVersion (null for a state never stored) and @PayloadBinary;
--                       answers NewGrainStateVersion, null when another activation wrote first.
--   ClearStorageKey     the same as a write without the payload; answers the new version (first column).
-- A version that does not move is how the provider notices a concurrent writer (InconsistentStateException).
-- Run after adamec-clustering.sql or alone. Idempotent: safe to run on every start.

CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey  varchar(64)   NOT NULL PRIMARY KEY,
    QueryText varchar(8000) NOT NULL
);

-- One row per grain state. String-keyed grains (all of AdaMec's) keep N0 = N1 = 0 and the key in
-- GrainIdExtension; '' stands for "no string key" so the primary key needs no NULLs.
CREATE TABLE IF NOT EXISTS AdaMecGrainState
(
    ServiceId        varchar(150) NOT NULL,
    GrainType        varchar(512) NOT NULL,
    GrainIdN0        bigint       NOT NULL,
    GrainIdN1        bigint       NOT NULL,
    GrainIdExtension text         NOT NULL,
    PayloadBinary    bytea        NULL,
    Version          integer      NOT NULL,
    ModifiedOn       timestamptz  NOT NULL DEFAULT now(),
    PRIMARY KEY (ServiceId, GrainType, GrainIdN0, GrainIdN1, GrainIdExtension)
);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
('ReadFromStorageKey', $q$
SELECT PayloadBinary, Version
FROM AdaMecGrainState
WHERE ServiceId = @ServiceId::varchar AND GrainType = @GrainTypeString::varchar
  AND GrainIdN0 = @GrainIdN0::bigint AND GrainIdN1 = @GrainIdN1::bigint
  AND GrainIdExtension = COALESCE(@GrainIdExtensionString::text, '');
$q$),
('WriteToStorageKey', $q$
WITH updated AS (
    UPDATE AdaMecGrainState
    SET PayloadBinary = @PayloadBinary::bytea, Version = Version + 1, ModifiedOn = now()
    WHERE ServiceId = @ServiceId::varchar AND GrainType = @GrainTypeString::varchar
      AND GrainIdN0 = @GrainIdN0::bigint AND GrainIdN1 = @GrainIdN1::bigint
      AND GrainIdExtension = COALESCE(@GrainIdExtensionString::text, '')
      AND Version = @GrainStateVersion::integer
    RETURNING Version),
inserted AS (
    INSERT INTO AdaMecGrainState (ServiceId, GrainType, GrainIdN0, GrainIdN1, GrainIdExtension, PayloadBinary, Version)
    SELECT @ServiceId::varchar, @GrainTypeString::varchar, @GrainIdN0::bigint, @GrainIdN1::bigint,
           COALESCE(@GrainIdExtensionString::text, ''), @PayloadBinary::bytea, 1
    WHERE @GrainStateVersion::integer IS NULL
    ON CONFLICT DO NOTHING
    RETURNING Version)
SELECT (SELECT Version FROM updated UNION ALL SELECT Version FROM inserted LIMIT 1) AS NewGrainStateVersion;
$q$),
('ClearStorageKey', $q$
UPDATE AdaMecGrainState
SET PayloadBinary = NULL, Version = Version + 1, ModifiedOn = now()
WHERE ServiceId = @ServiceId::varchar AND GrainType = @GrainTypeString::varchar
  AND GrainIdN0 = @GrainIdN0::bigint AND GrainIdN1 = @GrainIdN1::bigint
  AND GrainIdExtension = COALESCE(@GrainIdExtensionString::text, '')
  AND Version = @GrainStateVersion::integer
RETURNING Version AS NewGrainStateVersion;
$q$)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;
