-- The company's work week for SLA business hours (issue 3): which weekdays are worked and the
-- working hours of each, in the company's time zone. One row (id = 'company'); the default is
-- Monday to Friday, 08:00-17:00, what the engine used before this was configurable.
--
-- days:      comma-separated lowercase weekday abbreviations, Monday first (mon,tue,wed,thu,fri)
-- day_start: HH:MM, inclusive
-- day_end:   HH:MM, exclusive; after day_start (no shifts across midnight)
CREATE TABLE work_week (
    id TEXT PRIMARY KEY NOT NULL,
    days TEXT NOT NULL,
    day_start TEXT NOT NULL,
    day_end TEXT NOT NULL,
    updated_at TEXT
);
INSERT INTO work_week (id, days, day_start, day_end) VALUES ('company', 'mon,tue,wed,thu,fri', '08:00', '17:00');
