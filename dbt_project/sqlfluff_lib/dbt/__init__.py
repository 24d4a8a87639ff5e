"""dbt's cross-database macros as DuckDB renders them, for linting only."""


def dateadd(datepart, interval, from_date_or_timestamp):
    return f"date_add({from_date_or_timestamp}, interval ({interval}) {datepart})"


def date_trunc(datepart, date):
    return f"date_trunc('{datepart}', {date})"


def datediff(first_date, second_date, datepart):
    return f"date_diff('{datepart}', {first_date}, {second_date})"


def last_day(date, datepart):
    return f"last_day({date})"


def type_bigint():
    return "bigint"


def type_int():
    return "integer"


def type_string():
    return "varchar"


def type_timestamp():
    return "timestamp"


def type_numeric():
    return "numeric(28, 6)"


def type_float():
    return "double"


def date_spine(datepart, start_date, end_date):
    return f"select range as date_{datepart} from range({start_date}, {end_date}, interval 1 day)"


def generate_series(upper_bound):
    return f"select range + 1 as generated_number from range({upper_bound})"


def is_incremental():
    """Models are linted as written for a full build."""
    return False


def listagg(measure, delimiter_text="','", order_by_clause=None, limit_num=None):
    order_by = f" {order_by_clause}" if order_by_clause else ""
    return f"string_agg({measure}, {delimiter_text}{order_by})"
