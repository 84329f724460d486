"""The data contract: the tables every analysis reads, their columns and their aliases.

This module is the single source of truth for table and column names. Loading, validation,
synthetic data, the DuckDB aggregation and every analysis module refer to the names defined
here; ``data/README.md`` documents the same contract for consultants.

A client export rarely uses our names, so each column carries aliases (Chinese and English
headers seen in real exports). Matching is case-, space- and punctuation-insensitive.

Examples
--------
>>> from ars_analysis.data.contract import TABLES
>>> TABLES["sales"].required_columns
['date', 'customer_id', 'product_id', 'quantity', 'revenue']
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Column kinds understood by loading and validation.
#: ``id``/``text`` are strings, ``date``/``datetime`` are parsed timestamps, ``number`` is float,
#: ``integer`` is a whole number, ``period`` is a month written ``YYYY-MM``.
KINDS = ("id", "text", "category", "date", "datetime", "number", "integer", "period")

#: Canonical activity codes of a visit (column ``visits.activities`` holds a ``;``-separated list).
ACTIVITIES = ("order", "stock_check", "display", "training", "collection", "promotion")

#: Canonical rep roles.
ROLES = ("business_manager", "salesperson", "promoter")

#: Canonical terminal types.
TERMINAL_TYPES = ("hypermarket", "supermarket", "convenience", "specialty", "wholesale")

#: Who services a terminal (``terminals.serviced_by``): our field rep, or the distributor's own team.
SERVICED_BY = ("rep", "distributor")

#: Flag values of ``deliveries.promotion``.
YES_NO = ("yes", "no")

#: Kinds of distributor reports (``distributor_reports.report_type``).
REPORT_TYPES = ("sell_out", "stock")


@dataclass(frozen=True)
class Column:
    """One column of a contract table.

    Parameters
    ----------
    name : str
        Canonical (snake_case, English) name used throughout the package.
    kind : str
        One of :data:`KINDS`.
    required : bool
        A missing required column is a fatal validation problem.
    description : str
        Meaning, shown in the data dictionary and in error messages.
    aliases : tuple of str
        Other headers accepted for this column (Chinese and English).
    nullable : bool
        Whether empty cells are allowed.
    min_value : float or None
        Smallest allowed value for numbers (``None`` = unbounded).
    """

    name: str
    kind: str
    required: bool
    description: str
    aliases: tuple[str, ...] = ()
    nullable: bool = True
    min_value: float | None = None


@dataclass(frozen=True)
class Table:
    """One contract table: its columns, key and foreign keys."""

    name: str
    description: str
    columns: tuple[Column, ...]
    required: bool = True
    key: tuple[str, ...] = ()
    #: column -> (table, column) it must reference when not empty
    references: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: aliases of the table itself (file stem), e.g. "经销商" for customers
    aliases: tuple[str, ...] = ()

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"table {self.name!r} has no column {name!r}")


C = Column

# One line per column reads best as a table: keep the formatter out of it.
# fmt: off
CUSTOMERS = Table(
    "customers",
    "Distributors (经销商) that buy from the manufacturer.",
    (
        C("customer_id", "id", True, "Distributor code", ("客户编码", "客户代码", "客户编号", "经销商编码", "经销商代码", "经销商编号", "客户ID", "customer id", "customer code", "distributor id", "distributor code"), nullable=False),
        C("customer_name", "text", True, "Distributor name", ("客户名称", "经销商名称", "客户", "经销商", "customer", "customer name", "distributor", "distributor name")),
        C("region", "category", True, "Sales region (大区/区域)", ("区域", "大区", "地区", "销售区域", "region", "sales region")),
        C("territory", "category", False, "Sales territory the distributor is responsible for (责任地区)", ("责任地区", "责任区域", "片区", "辖区", "territory", "sales territory", "area")),
        C("city", "text", False, "City", ("城市", "所在城市", "市", "city")),
        C("start_date", "date", False, "Start of the business relationship", ("合作开始日期", "开始日期", "签约日期", "合作日期", "start date", "since", "contract date")),
    ),
    key=("customer_id",),
    aliases=("经销商", "客户", "distributors", "customer"),
)

TERMINALS = Table(
    "terminals",
    "Retail points (终端) that sell to consumers.",
    (
        C("terminal_id", "id", True, "Terminal code", ("终端编码", "终端代码", "终端编号", "门店编码", "门店编号", "网点编码", "terminal id", "terminal code", "store id", "outlet id"), nullable=False),
        C("terminal_name", "text", True, "Terminal name", ("终端名称", "终端", "门店名称", "门店", "网点名称", "terminal", "terminal name", "store", "store name", "outlet")),
        C("region", "category", True, "Sales region", ("区域", "大区", "地区", "销售区域", "region")),
        C("city", "text", False, "City", ("城市", "所在城市", "市", "city")),
        C("terminal_type", "category", False, "Terminal type: hypermarket, supermarket, convenience, specialty, wholesale", ("终端类型", "门店类型", "业态", "渠道类型", "type", "terminal type", "store type", "channel")),
        C("customer_id", "id", False, "Supplying distributor (empty = not linked to a distributor)", ("供货经销商", "供货商编码", "所属经销商", "经销商编码", "客户编码", "supplier", "distributor id", "customer id")),
        C("rep_id", "id", False, "Responsible field rep", ("负责业务员", "业务员编码", "业务员", "客户顾问", "rep", "rep id", "salesperson")),
        C("latitude", "number", False, "Latitude (WGS84)", ("纬度", "lat", "latitude")),
        C("longitude", "number", False, "Longitude (WGS84)", ("经度", "lon", "lng", "longitude")),
        C("serviced_by", "category", False, "Who services the terminal: rep (our field force) or distributor (the distributor's own team); empty = rep", ("服务方", "服务主体", "维护方", "维护主体", "serviced by", "service by", "serviced_by")),
        C("serviced_by_since", "date", False, "Date serviced_by took its current value (handover date); empty = the whole period", ("交接日期", "移交日期", "服务变更日期", "handover date", "serviced since", "serviced_by_since")),
    ),
    key=("terminal_id",),
    references={"customer_id": ("customers", "customer_id"), "rep_id": ("reps", "rep_id")},
    required=False,  # an order-lines export may have no terminal master; terminal analyses need it
    aliases=("终端", "门店", "stores", "outlets", "terminal"),
)

PRODUCTS = Table(
    "products",
    "Products sold (SKUs).",
    (
        C("product_id", "id", True, "Product code", ("产品编码", "产品代码", "商品编码", "物料编码", "SKU", "product id", "product code", "item code", "stock code", "stockcode"), nullable=False),
        C("product_name", "text", True, "Product name", ("产品名称", "商品名称", "品名", "物料名称", "product", "product name", "description", "item")),
        C("category", "category", False, "Product category", ("产品类别", "品类", "类别", "产品线", "category", "product category")),
        C("list_price", "number", False, "List price per unit", ("单价", "价格", "出厂价", "标准价", "list price", "price", "unit price"), min_value=0),
        C("retail_price", "number", False, "Shelf price per unit at the terminal (suggested retail price), for the retailer's gross margin; empty or 0 = unknown", ("零售价", "建议零售价", "终端零售价", "终端售价", "shelf price", "retail price", "suggested retail price", "rrp")),
        C("launch_date", "date", False, "Launch date of a new product (新品上市日期), for its rollout curve; empty = an established product", ("上市日期", "新品上市日期", "上市时间", "launch date", "launch")),
    ),
    key=("product_id",),
    aliases=("产品", "商品", "product", "items", "skus"),
)

SALES = Table(
    "sales",
    "Sales lines: one per date x customer x terminal x product. An empty terminal is sell-in to "
    "the distributor. A line with negative quantity and/or revenue and neither positive is a "
    "return (kept, counted as a warning); mixed signs are an error.",
    (
        C("date", "date", True, "Invoice / order date", ("日期", "销售日期", "订单日期", "开票日期", "单据日期", "date", "order date", "invoice date"), nullable=False),
        C("customer_id", "id", True, "Distributor (customers.customer_id)", ("客户编码", "客户代码", "经销商编码", "经销商代码", "客户ID", "customer id", "customerid", "distributor id"), nullable=False),
        C("terminal_id", "id", False, "Terminal (terminals.terminal_id); empty = sell-in to the distributor", ("终端编码", "终端代码", "门店编码", "网点编码", "terminal id", "store id", "outlet id")),
        C("product_id", "id", True, "Product (products.product_id)", ("产品编码", "产品代码", "商品编码", "物料编码", "SKU", "product id", "stock code", "stockcode"), nullable=False),
        C("quantity", "number", True, "Units sold (negative = return)", ("数量", "销量", "销售数量", "件数", "quantity", "qty", "units")),
        C("revenue", "number", True, "Net revenue of the line (negative = return)", ("销售额", "销售金额", "金额", "含税金额", "收入", "revenue", "sales", "amount", "net sales")),
        C("cost", "number", False, "Cost of goods of the line (for gross margin)", ("成本", "销售成本", "成本金额", "cost", "cogs")),
        C("rep_id", "id", False, "Rep credited with the line (reps.rep_id); default: the terminal's rep", ("业务员", "业务员编码", "客户顾问", "销售代表", "rep", "rep id", "salesperson")),
    ),
    key=(),
    references={
        "customer_id": ("customers", "customer_id"),
        "terminal_id": ("terminals", "terminal_id"),
        "product_id": ("products", "product_id"),
        "rep_id": ("reps", "rep_id"),
    },
    aliases=("销售", "销售明细", "销售数据", "订单", "orders", "order lines", "transactions"),
)

REPS = Table(
    "reps",
    "Field force (客户顾问 / 业务员).",
    (
        C("rep_id", "id", True, "Rep code", ("业务员编码", "员工编号", "工号", "人员编码", "rep id", "employee id", "staff id"), nullable=False),
        C("rep_name", "text", True, "Rep name", ("业务员", "业务员姓名", "姓名", "客户顾问", "rep", "rep name", "name", "employee")),
        C("region", "category", True, "Region", ("区域", "大区", "地区", "region")),
        C("role", "category", False, "business_manager / salesperson / promoter", ("岗位", "职位", "角色", "role", "position")),
        C("manager_id", "id", False, "Manager's rep_id", ("上级", "上级编码", "经理", "主管", "manager", "manager id")),
        C("hire_date", "date", False, "Hire date", ("入职日期", "入职时间", "hire date", "start date")),
        C("end_date", "date", False, "Last working day (empty = still employed)", ("离职日期", "离职时间", "离岗日期", "end date", "leave date", "termination date")),
    ),
    key=("rep_id",),
    references={"manager_id": ("reps", "rep_id")},
    required=False,
    aliases=("业务员", "人员", "销售人员", "field force", "staff", "employees", "rep"),
)

VISITS = Table(
    "visits",
    "Planned and actual visits. Empty planned_date = unplanned visit; empty check_in = planned "
    "visit not done.",
    (
        C("visit_id", "id", False, "Visit code", ("拜访编号", "拜访ID", "visit id")),
        C("rep_id", "id", True, "Rep (reps.rep_id)", ("业务员编码", "业务员", "工号", "客户顾问", "rep", "rep id"), nullable=False),
        C("terminal_id", "id", False, "Terminal visited (terminals.terminal_id)", ("终端编码", "门店编码", "网点编码", "terminal id", "store id")),
        C("customer_id", "id", False, "Distributor visited (customers.customer_id)", ("客户编码", "经销商编码", "customer id", "distributor id")),
        C("planned_date", "date", False, "Planned date (empty = unplanned visit)", ("计划日期", "计划拜访日期", "planned date", "plan date")),
        C("check_in", "datetime", False, "Check-in time (empty = not done)", ("签到时间", "进店时间", "到店时间", "check in", "checkin", "check-in")),
        C("check_out", "datetime", False, "Check-out time", ("签退时间", "离店时间", "check out", "checkout", "check-out")),
        C("activities", "text", False, "Activities done, ';'-separated codes: " + ", ".join(ACTIVITIES), ("拜访内容", "工作内容", "活动", "activities", "tasks")),
        C("latitude", "number", False, "Check-in latitude", ("签到纬度", "纬度", "lat", "latitude")),
        C("longitude", "number", False, "Check-in longitude", ("签到经度", "经度", "lon", "lng", "longitude")),
    ),
    key=("visit_id",),
    references={
        "rep_id": ("reps", "rep_id"),
        "terminal_id": ("terminals", "terminal_id"),
        "customer_id": ("customers", "customer_id"),
    },
    required=False,
    aliases=("拜访", "拜访记录", "visit", "visit log", "calls"),
)

TARGETS = Table(
    "targets",
    "Targets per rep (optionally per customer) per month.",
    (
        C("rep_id", "id", True, "Rep (reps.rep_id)", ("业务员编码", "业务员", "工号", "rep", "rep id"), nullable=False),
        C("period", "period", True, "Month, YYYY-MM", ("期间", "月份", "年月", "period", "month"), nullable=False),
        C("target_revenue", "number", True, "Target revenue", ("目标", "目标销售额", "目标金额", "任务", "任务额", "target", "target revenue", "quota"), min_value=0),
        C("customer_id", "id", False, "Distributor, when the target is per customer", ("客户编码", "经销商编码", "customer id")),
    ),
    key=("rep_id", "period", "customer_id"),
    references={"rep_id": ("reps", "rep_id"), "customer_id": ("customers", "customer_id")},
    required=False,
    aliases=("目标", "任务", "指标", "quotas", "target"),
)

RECEIVABLES = Table(
    "receivables",
    "Receivables per distributor (cash-flow measures of a grading scorecard).",
    (
        C("customer_id", "id", True, "Distributor (customers.customer_id)", ("客户编码", "经销商编码", "customer id"), nullable=False),
        C("amount_due", "number", True, "Amount outstanding", ("应收金额", "应收账款", "欠款", "amount due", "receivable"), min_value=0),
        C("amount_overdue", "number", False, "Part of amount_due that is overdue", ("逾期金额", "amount overdue", "overdue amount"), min_value=0),
        C("days_overdue", "number", True, "Days overdue (0 = current)", ("逾期天数", "账龄", "days overdue", "overdue days"), min_value=0),
        C("as_of_date", "date", False, "Date of the balance", ("统计日期", "截止日期", "as of", "as of date")),
    ),
    key=("customer_id", "as_of_date"),
    references={"customer_id": ("customers", "customer_id")},
    required=False,
    aliases=("应收", "应收账款", "账款", "receivable", "ar"),
)

INVENTORY = Table(
    "inventory",
    "Distributor stock on hand (库存) per date x distributor x product: stock days of cover and "
    "out-of-stock days (logistics, 物流). One snapshot per date, e.g. weekly.",
    (
        C("date", "date", True, "Date of the stock count", ("日期", "盘点日期", "库存日期", "统计日期", "date", "stock date", "count date"), nullable=False),
        C("customer_id", "id", True, "Distributor (customers.customer_id)", ("客户编码", "经销商编码", "经销商代码", "customer id", "distributor id"), nullable=False),
        C("product_id", "id", True, "Product (products.product_id)", ("产品编码", "商品编码", "物料编码", "SKU", "product id"), nullable=False),
        C("quantity", "number", True, "Units on hand (0 = out of stock)", ("库存数量", "库存", "在库数量", "结存数量", "quantity", "stock", "on hand", "qty"), min_value=0),
    ),
    key=("date", "customer_id", "product_id"),
    references={"customer_id": ("customers", "customer_id"), "product_id": ("products", "product_id")},
    required=False,
    aliases=("库存", "库存数据", "库存报表", "stock", "stock on hand", "stocks"),
)

DELIVERIES = Table(
    "deliveries",
    "Order lines a distributor delivered to terminals (配送): quantity ordered vs delivered and "
    "dates, for fill rate and on-time delivery (logistics, 物流) and the promotion share "
    "(commerce, 商流).",
    (
        C("order_id", "id", False, "Order code", ("订单编号", "订单号", "单号", "order id", "order no")),
        C("order_date", "date", True, "Order date", ("订单日期", "下单日期", "订货日期", "order date"), nullable=False),
        C("customer_id", "id", True, "Delivering distributor (customers.customer_id)", ("客户编码", "经销商编码", "经销商代码", "customer id", "distributor id"), nullable=False),
        C("terminal_id", "id", False, "Ordering terminal (terminals.terminal_id)", ("终端编码", "门店编码", "网点编码", "terminal id", "store id")),
        C("product_id", "id", True, "Product (products.product_id)", ("产品编码", "商品编码", "物料编码", "SKU", "product id"), nullable=False),
        C("quantity_ordered", "number", True, "Units ordered", ("订货数量", "订单数量", "要货数量", "quantity ordered", "ordered", "ordered qty"), min_value=0),
        C("quantity_delivered", "number", True, "Units delivered (0 = not delivered)", ("发货数量", "实发数量", "到货数量", "交付数量", "quantity delivered", "delivered", "delivered qty", "shipped"), min_value=0),
        C("delivery_date", "date", False, "Delivery date (empty = not delivered)", ("发货日期", "到货日期", "交付日期", "delivery date", "ship date")),
        C("due_date", "date", False, "Promised delivery date (empty = the order date plus the allowed lead time)", ("要求到货日期", "承诺日期", "约定交期", "due date", "promised date")),
        C("promotion", "category", False, "Order placed under a promotion: yes / no", ("促销", "是否促销", "促销订单", "promotion", "promo")),
    ),
    key=(),
    references={
        "customer_id": ("customers", "customer_id"),
        "terminal_id": ("terminals", "terminal_id"),
        "product_id": ("products", "product_id"),
    },
    required=False,
    aliases=("配送", "发货", "配送记录", "发货记录", "delivery", "order lines delivered", "fulfilment"),
)

DISTRIBUTOR_REPORTS = Table(
    "distributor_reports",
    "Reports a distributor owes per period (sell-out, stock) and when it sent them: the "
    "information flow (信息流).",
    (
        C("customer_id", "id", True, "Distributor (customers.customer_id)", ("客户编码", "经销商编码", "经销商代码", "customer id", "distributor id"), nullable=False),
        C("period", "period", True, "Month reported, YYYY-MM", ("期间", "月份", "年月", "报表月份", "period", "month"), nullable=False),
        C("report_type", "category", False, "sell_out (进销存/销量) or stock (库存)", ("报表类型", "上报类型", "report type", "type")),
        C("due_date", "date", False, "Date the report was due (empty = the period's end plus the allowed days)", ("截止日期", "应报日期", "due date", "deadline")),
        C("submitted_date", "date", False, "Date the report was received (empty = not received)", ("上报日期", "提交日期", "报送日期", "submitted", "submitted date", "received date")),
    ),
    key=("customer_id", "period", "report_type"),
    references={"customer_id": ("customers", "customer_id")},
    required=False,
    aliases=("上报记录", "经销商上报", "报表上报", "进销存上报", "reports", "reporting log", "distributor reporting"),
)

TERMINAL_TARGETS = Table(
    "terminal_targets",
    "Targets per terminal per month (维护: each key terminal's target volume).",
    (
        C("terminal_id", "id", True, "Terminal (terminals.terminal_id)", ("终端编码", "门店编码", "网点编码", "terminal id", "store id"), nullable=False),
        C("period", "period", True, "Month, YYYY-MM", ("期间", "月份", "年月", "period", "month"), nullable=False),
        C("target_revenue", "number", True, "Target revenue of the terminal", ("目标", "目标销售额", "终端目标", "任务额", "target", "target revenue"), min_value=0),
    ),
    key=("terminal_id", "period"),
    references={"terminal_id": ("terminals", "terminal_id")},
    required=False,
    aliases=("终端目标", "终端任务", "门店目标", "terminal target", "store targets"),
)

TRAINING = Table(
    "training",
    "Training records (培训): one row per rep and course attended.",
    (
        C("rep_id", "id", True, "Rep trained (reps.rep_id)", ("业务员编码", "业务员", "工号", "学员", "rep", "rep id", "trainee"), nullable=False),
        C("course", "text", True, "Course name or code", ("课程", "课程名称", "培训课程", "培训内容", "course", "course name", "training")),
        C("date", "date", True, "Date of the course (its last day)", ("培训日期", "日期", "结业日期", "date", "training date", "course date"), nullable=False),
    ),
    key=("rep_id", "course", "date"),
    references={"rep_id": ("reps", "rep_id")},
    required=False,
    aliases=("培训", "培训记录", "training records", "courses"),
)

# fmt: on

del C

#: All contract tables by name, in load order (referenced tables first).
TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        CUSTOMERS, PRODUCTS, REPS, TERMINALS, SALES, VISITS, TARGETS, RECEIVABLES,
        INVENTORY, DELIVERIES, DISTRIBUTOR_REPORTS, TERMINAL_TARGETS, TRAINING,
    )
}  # fmt: skip

REQUIRED_TABLES = [name for name, t in TABLES.items() if t.required]
