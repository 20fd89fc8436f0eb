-- The raw.* and scores.* tables exactly as docs/warehouse-tables.md specifies them,
-- used by the dbt tests to build a warehouse without running the Python assets.
create schema if not exists raw;
create schema if not exists scores;

create table raw.mentions (
    mention_id varchar not null,
    platform varchar not null,
    created_at timestamp not null,
    author_id varchar not null,
    is_brand_account boolean not null,
    text varchar,
    brand varchar,
    in_reply_to_id varchar,
    language varchar,
    author_followers bigint,
    url varchar,
    deleted_at timestamp,
    extra json,
    partition_month date,
    _source_file varchar,
    _source_line bigint,
    _loaded_at timestamp,
    primary key (platform, mention_id)
);

create table raw.complaints (
    complaint_id varchar not null primary key,
    brand varchar not null,
    received_at timestamp not null,
    channel varchar not null,
    category varchar,
    customer_id varchar,
    social_handle varchar,
    resolved_at timestamp,
    is_timely_response boolean,
    extra json,
    partition_month date,
    _source_file varchar,
    _source_line bigint,
    _loaded_at timestamp
);

create table raw.nps_responses (
    response_id varchar not null primary key,
    brand varchar not null,
    answered_at timestamp not null,
    score integer not null,
    respondent_id varchar,
    comment varchar,
    wave varchar,
    extra json,
    partition_month date,
    _source_file varchar,
    _source_line bigint,
    _loaded_at timestamp
);

create table raw.stock_prices (
    ticker varchar not null,
    date date not null,
    open double,
    high double,
    low double,
    close double not null,
    adj_close double,
    volume bigint,
    currency varchar,
    extra json,
    partition_month date,
    _source_file varchar,
    _source_line bigint,
    _loaded_at timestamp,
    primary key (ticker, date)
);

create table raw.brands (
    brand varchar primary key,
    display_name varchar,
    sector varchar,
    country varchar,
    ticker varchar,
    currency varchar,
    shares_outstanding bigint,
    keywords varchar[],
    extra json,
    _source_file varchar,
    _source_line bigint,
    _loaded_at timestamp
);

create table raw.webcare_accounts (
    brand varchar,
    handle varchar,
    platform varchar,
    is_bot boolean,
    promised_response_minutes integer,
    opening_hours varchar,
    timezone varchar,
    bio varchar,
    extra json,
    _source_file varchar,
    _source_line bigint,
    _loaded_at timestamp,
    primary key (handle, platform)
);

create table raw.webcare_account_opening_hours (
    handle varchar,
    platform varchar,
    weekday integer,
    opens_at time,
    closes_at time,
    _source_file varchar,
    _source_line bigint,
    _loaded_at timestamp
);

create table raw.rejected_rows (
    source varchar,
    file varchar,
    line bigint,
    "column" varchar,
    reason varchar,
    record json,
    partition_month date,
    rejected_at timestamp,
    is_dated_in_month boolean
);

create table scores.mention_sentiment (
    platform varchar,
    mention_id varchar,
    partition_month date,
    text_hash varchar,
    label varchar,
    p_negative double,
    p_neutral double,
    p_positive double,
    score double,
    model_version varchar,
    scored_at timestamp,
    primary key (platform, mention_id)
);

create table scores.nps_comment_sentiment (
    response_id varchar primary key,
    partition_month date,
    text_hash varchar,
    label varchar,
    p_negative double,
    p_neutral double,
    p_positive double,
    score double,
    model_version varchar,
    scored_at timestamp
);

create table scores.sentiment_cache (
    text_hash varchar,
    model_version varchar,
    label varchar,
    p_negative double,
    p_neutral double,
    p_positive double,
    scored_at timestamp,
    primary key (text_hash, model_version)
);
