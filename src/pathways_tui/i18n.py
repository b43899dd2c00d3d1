"""The wizard's own words in Chinese and English: its screens, keys, hints and messages.

Rule texts come localised from the core, and so do the words the checklist shares with the exports
(statuses, stages, time limits: ``pathways.STATUS_LABELS``, ``STAGE_LABELS``, ``time_limit_text``);
``format.py`` puts them together for the screen.

Only characters of unambiguous terminal width are used in labels (no "·", "—", "→", "●"), so that
layouts stay aligned in terminals that draw East-Asian ambiguous characters double-width.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .locks import Holder

__all__ = [
    "LANGS",
    "LANG_NAMES",
    "bullet",
    "colon",
    "counted",
    "gap",
    "help_markdown",
    "holder_text",
    "list_sep",
    "localize_bindings",
    "paren",
    "separator",
    "t",
]

LANGS = ("zh", "en")
LANG_NAMES = {"zh": "中文", "en": "English"}

_T: dict[str, tuple[str, str]] = {
    # key: (en, zh)
    "app_title": ("pathways: regulatory pathway wizard", "pathways：法规准入路径向导"),
    "loading": ("Loading the rule base...", "正在加载规则库..."),
    "language": ("Language", "语言"),
    "product": ("Product name (optional)", "产品名称（可选）"),
    "product_placeholder": ("e.g. Blood glucose meter", "例如：血糖仪"),
    "rename": ("Rename", "重命名"),
    "rename_title": (
        "Name of the product (shown in the case list and on the exports)",
        "产品名称（显示在案例列表和导出文件中）",
    ),
    "rename_save": ("Save name", "保存名称"),
    "renamed": ("Renamed: {name}", "已重命名：{name}"),
    "cmd_rename": ("Rename the case (product name)...", "重命名案例（产品名称）..."),
    "new_case": ("Start a new case", "开始新案例"),
    "resume": ("Resume a saved case", "继续已保存的案例"),
    "no_cases": ("No saved cases yet.", "还没有已保存的案例。"),
    "unnamed": ("(no product name)", "（未命名产品）"),
    "case_line": ("{answered} answered, {progress}", "已答 {answered} 题，{progress}"),
    "done": ("complete", "已完成"),
    "to_go": ("up to {n} to go", "最多还剩 {n} 题"),
    "no_more_questions": ("no more questions", "没有更多问题"),
    "open_state": (
        "no more questions, {items} to determine ({questions} open)",
        "没有更多问题，{items} 项待确定（{questions} 个问题未确定）",
    ),
    "other_rulebase": ("written for rule base {rb}", "属于规则库 {rb}"),
    "rulebase_line": ("Rule base: {title} ({id} {version})", "规则库：{title}（{id} {version}）"),
    "data_dir": ("Cases are saved in {path}", "案例保存在 {path}"),
    "connecting": ("Connecting to the pathways server {url}...", "正在连接 pathways 服务器 {url}..."),
    "server_line": (
        "Evaluated on the server {url}; the answers are saved on this computer.",
        "由服务器 {url} 评估；答案保存在本机。",
    ),
    "case_file": ("file {name}", "文件 {name}"),
    "unreadable": ("{name}: not a case the wizard can open", "{name}：无法作为案例打开"),
    "unreadable_hint": (
        "Left as it is in the cases folder: fix the file or remove it.",
        "文件保持原样，仍在案例文件夹中：请修正或删除该文件。",
    ),
    "open_failed": ("The case {name} could not be opened: {reason}", "无法打开案例 {name}：{reason}"),
    "in_use_title": ("Case open elsewhere", "案例已在别处打开"),
    "in_use": (
        "This case is open in another pathways wizard ({who}). Continue there, or close it "
        "there first: two wizards on one case would overwrite each other's answers.",
        "此案例已在另一个 pathways 向导中打开（{who}）。请在那里继续，或先在那里关闭它："
        "两个向导同时编辑同一案例会互相覆盖答案。",
    ),
    "in_use_line": ("open in another wizard ({who})", "已在另一个向导中打开（{who}）"),
    "who_here": ("process {pid} on this computer, since {since}", "本机进程 {pid}，自 {since} 起"),
    "who_host": ("process {pid} on {host}, since {since}", "{host} 上的进程 {pid}，自 {since} 起"),
    "who_unknown": ("another process", "另一进程"),
    "saved_elsewhere_title": ("Case saved as a copy", "案例已另存为副本"),
    "saved_elsewhere": (
        "{original} was changed by another program while this case was open. Your "
        "answers are saved in {name} from now on; the other version stays in {original}.",
        "此案例打开期间，{original} 被其他程序修改。您的答案此后保存在 {name}；另一版本仍保留在 {original}。",
    ),
    "start_intro": (
        "Answer a few questions about your product, one at a time. At the end you get the "
        "checklist of approvals, authorities, documents and time limits, with the legal "
        "basis for each. Your answers are saved after every step.",
        "逐一回答关于产品的几个问题，最后得到所需审批、主管部门、资料和时限的清单，每项都附有法律依据。"
        "每答一题都会自动保存。",
    ),
    "quit": ("Quit", "退出"),
    "help": ("Help", "帮助"),
    "next": ("Next", "下一步"),
    "back": ("Back", "上一步"),
    "dont_know": ("Don't know", "不清楚"),
    "checklist": ("Checklist", "清单"),
    "answers": ("Your answers", "已填答案"),
    "no_answers": ("No answers yet.", "尚无答案。"),
    "routes_preview": ("Routes so far", "目前适用的路径"),
    "no_routes": ("None determined yet.", "尚未确定。"),
    "applies_yes": ("applies", "适用"),
    "applies_maybe": ("may apply", "可能适用"),
    "progress": ("{answered} answered, up to {remaining} more", "已答 {answered} 题，最多还有 {remaining} 题"),
    "progress_done": ("{answered} answered, no more questions", "已答 {answered} 题，没有更多问题"),
    "question_n": ("Question {n}", "第 {n} 题"),
    "help_title": ("Help and legal basis", "说明与法律依据"),
    "sources": ("Legal basis", "法律依据"),
    "no_help": ("No further explanation for this question.", "此问题没有更多说明。"),
    "article": ("Art. {a}", "第{a}条"),
    "options_help": ("About the options", "选项说明"),
    "yes": ("Yes", "是"),
    "no": ("No", "否"),
    "none_selected": ("None of these", "均不是"),
    "hint_choice": ("Up/Down to choose, Enter to confirm.", "用上下键选择，回车确认。"),
    "hint_multi": (
        "Space ticks an option; Enter continues (nothing ticked means none of these).",
        "空格键勾选选项；回车继续（不勾选表示均不是）。",
    ),
    "hint_number": ("Type a number, then Enter.", "输入数字后回车。"),
    "hint_date": ("Type a date as YYYY-MM-DD, then Enter.", "按 YYYY-MM-DD 格式输入日期后回车。"),
    "hint_text": ("Type your answer, then Enter.", "输入答案后回车。"),
    "hint_unknown": (
        'If you do not know, press Ctrl+D or choose "Don\'t know".',
        "如无法确定，请按 Ctrl+D 或点击“不清楚”。",
    ),
    "range": ("Allowed: {lo} to {hi}", "允许范围：{lo} 至 {hi}"),
    "range_min": ("At least {lo}", "不小于 {lo}"),
    "range_max": ("At most {hi}", "不大于 {hi}"),
    "unit": ("Unit: {unit}", "单位：{unit}"),
    "err_number": ("Please type a number.", "请输入数字。"),
    "err_range": ("The number must be between {lo} and {hi}.", "数字须在 {lo} 至 {hi} 之间。"),
    "err_date": (
        "Please type a date as YYYY-MM-DD, for example 2026-11-24.",
        "请按 YYYY-MM-DD 格式输入日期，例如 2026-11-24。",
    ),
    "err_text": ('Please type an answer (or choose "Don\'t know" if allowed).', "请输入答案（如允许，可选“不清楚”）。"),
    "err_too_long": ("The answer is too long.", "答案过长。"),
    "current_answer": ("Your current answer: {value}", "当前答案：{value}"),
    "not_used_note": ("This answer is not used any more: {reason}", "该答案已不再使用：{reason}"),
    "not_relevant": ("after your other answers this question no longer applies", "根据其他答案，此问题已不适用"),
    "struck_legend": ("Struck out: no longer relevant, not used.", "划线：已不相关，不予采用。"),
    "evaluating": ("Working out the checklist...", "正在生成清单..."),
    # checklist
    "checklist_title": ("Regulatory checklist", "法规准入清单"),
    "tab_items": ("Checklist", "清单"),
    "tab_timeline": ("Timeline", "时间线"),
    "tab_summary": ("Summary", "概要"),
    "next_tab": ("Timeline", "时间线"),
    "kind_obligation": ("obligation", "法定义务"),
    "kind_option": ("option you may choose", "可选项目"),
    "kind_guidance": ("guidance", "参考信息"),
    "authority": ("Authority", "主管部门"),
    "documents": ("Documents", "所需资料"),
    "time_limit": ("Time limit", "时限"),
    "wd": ("working days", "个工作日"),
    "after": ("After", "前置事项"),
    "why": ("Why is this here", "为何列入"),
    "rule": ("Rule", "规则"),
    "condition": ("Condition", "条件"),
    "because_answer": ("you answered", "您的回答"),
    "because_fact": ("derived", "推导"),
    "open_until": ("If (still open)", "如果（尚未确定）"),
    "valid": ("In force", "有效期"),
    "from": ("from", "自"),
    "until": ("until", "至"),
    "tick": ("Done", "完成"),
    "mark_done": ("Mark done", "标记完成"),
    "note": ("Note", "备注"),
    "note_title": ("Your note on: {title}", "事项备注：{title}"),
    "note_hint": (
        "Saved with the case and printed in the exports (PDF, Excel, HTML). Empty removes it.",
        "随案例保存，并显示在导出文件（PDF、Excel、HTML）中；留空即删除。",
    ),
    "save_note": ("Save note", "保存备注"),
    "mark_undone": ("Mark not done", "标记未完成"),
    "ticked_n": ("{done} of {total} done", "已完成 {done}/{total}"),
    "no_items": ("No checklist items for these answers.", "根据所填答案，没有清单事项。"),
    "select_item": ("Select an item to see its details.", "选择一项查看详情。"),
    "timeline_total": ("Statutory working days along the critical path: {days}", "关键路径上的法定工作日：{days}"),
    "timeline_none": ("No statutory time limits on the critical path.", "关键路径上没有法定时限。"),
    "other_limits": (
        "Other time limits, typical durations and steps that may add time (not added up)",
        "其他时限、通常时长和可能增加时间的事项（不计入合计）",
    ),
    "in_practice": ("In practice the whole takes at least", "实际整体至少需要"),
    "cumulative": ("cumulative", "累计"),
    "routes": ("Routes", "适用路径"),
    "upcoming": ("Coming into force later", "将来生效"),
    "ignored": ("Answers not used", "未采用的答案"),
    "unanswered": ("Questions still open", "尚未回答的问题"),
    "derived": ("Derived facts", "推导事实"),
    "conflicts": ("Conflicts", "冲突"),
    "incomplete": (
        'Some questions are still open; items that depend on them are marked "to determine".',
        "仍有问题未回答；取决于这些问题的事项标为“待确定”。",
    ),
    "complete": ("All questions answered.", "所有问题均已回答。"),
    "questions": ("Questions", "问题"),
    "export": ("Export", "导出"),
    "save_answers": ("Save", "保存"),
    "export_title": ("Export the checklist or save the answers", "导出清单或保存答案"),
    "format": ("Format", "格式"),
    "fmt_pdf": ("PDF checklist to send, with your tick-offs (.pdf)", "PDF 清单，可发送，含已勾选事项（.pdf）"),
    "fmt_xlsx": (
        "Excel tracker: one row per item, owner/due/done columns (.xlsx)",
        "Excel 跟踪表：每项一行，含负责人/截止日期/完成列（.xlsx）",
    ),
    "fmt_md": ("Markdown checklist (.md)", "Markdown 清单（.md）"),
    "fmt_html": ("HTML checklist, printable (.html)", "HTML 清单，可打印（.html）"),
    "fmt_json": ("JSON checklist, for scripts (.json)", "JSON 清单，供脚本使用（.json）"),
    "fmt_yaml": ("Answers file, YAML (for pathways checklist)", "答案文件 YAML（可用于 pathways checklist）"),
    "file": ("File", "文件"),
    "export_folder": (
        "Exports go to {path} unless you type another path (the folder: ${env}).",
        "导出文件默认保存在 {path}，也可输入其他路径（默认文件夹由 ${env} 设置）。",
    ),
    "write": ("Write", "写入"),
    "cancel": ("Cancel", "取消"),
    "wrote": ("Wrote {path}", "已写入 {path}"),
    "write_failed": ("Could not write {path}: {error}", "无法写入 {path}：{error}"),
    "wrote_download": ("Wrote {path}; your browser downloads a copy", "已写入 {path}；浏览器将下载一份副本"),
    # pathways wizard --web: the server's terminal, and the page around the wizard
    "web_serving": (
        "Serving the wizard on {url} (open it in a web browser; each tab is its own case)",
        "向导已在 {url} 上提供（请用浏览器打开；每个标签页是一个独立案例）",
    ),
    "web_stop": ("Press Ctrl+C to stop.", "按 Ctrl+C 停止。"),
    "web_cannot_listen": (
        "error: cannot listen on {host} port {port}: {error} (choose another with --port)",
        "错误：无法在 {host} 的端口 {port} 上监听：{error}（可用 --port 换一个端口）",
    ),
    "web_wrong_host": (
        "This wizard only answers to this computer's own addresses (127.0.0.1, localhost), not {host}.",
        "此向导只接受本机地址（127.0.0.1、localhost）的访问，不接受 {host}。",
    ),
    "web_wrong_origin": (
        "Refused: a page from {origin} may not open this wizard.",
        "已拒绝：来自 {origin} 的页面不能打开此向导。",
    ),
    "web_loading": ("Starting the wizard...", "正在启动向导..."),
    "web_ended": (
        "The wizard in this tab has ended; the answers given were saved as they were given.",
        "此标签页中的向导已结束；已作答的内容均已随答随存。",
    ),
    "web_restart": ("Start again", "重新开始"),
    "save_failed": ("Could not save the case: {error}", "无法保存案例：{error}"),
    "answers_dropped": (
        "Some saved answers do not fit the current rule base and were left out: {fields}",
        "部分已保存的答案与当前规则库不符，已忽略：{fields}",
    ),
    # errors
    "rb_error_title": ("The rule base could not be loaded", "无法加载规则库"),
    "rb_error_intro": (
        "The wizard cannot start because the rule files have errors. Fix these and start "
        "again (pathways lint checks a rule base):",
        "规则文件有错误，向导无法启动。请修正以下问题后重新启动（可用 pathways lint 检查规则库）：",
    ),
    "engine_error": (
        "Internal error in the inference engine (please report it): {error}",
        "推理引擎内部错误（请报告）：{error}",
    ),
    "server_error": (
        "The pathways server could not answer; your answers are kept, try again: {error}",
        "pathways 服务器未能响应；答案已保留，请重试：{error}",
    ),
    "answers_refused": ("The rule base does not accept an answer: {error}", "规则库不接受某个答案：{error}"),
    "server_error_title": ("The pathways server could not be used", "无法使用 pathways 服务器"),
    "server_error_intro": (
        "The wizard could not read the rule base from {url}. Check the address, that the "
        "server is running, and the bearer token in $PATHWAYS_TOKEN:",
        "向导无法从 {url} 读取规则库。请检查地址、服务器是否在运行，以及 $PATHWAYS_TOKEN 中的令牌：",
    ),
    # palette
    "cmd_jump": ("Jump to question: {text}", "跳到问题：{text}"),
    "cmd_jump_help": ("Go back to this question to change the answer", "回到此问题修改答案"),
    "cmd_save": ("Save answers as YAML...", "另存答案为 YAML..."),
    "cmd_export": ("Export checklist as {fmt}...", "导出清单为 {fmt}..."),
    "cmd_lang": ("Language: {name}", "语言：{name}"),
    "cmd_lang_help": ("Switch the language of the wizard and the checklist", "切换向导和清单的语言"),
    "cmd_dark": ("Toggle light/dark theme", "切换浅色/深色主题"),
    "cmd_checklist": ("Show the checklist now", "立即查看清单"),
    "cmd_questions": ("Back to the questions", "返回问题"),
    "cmd_help": ("Help: keys and what the statuses mean", "帮助：按键和状态说明"),
    "cmd_start": ("Start screen: new case or resume", "开始页面：新建或继续案例"),
    "close": ("Close", "关闭"),
    "palette": ("commands", "命令"),
}

_HELP_EN = """\
# pathways wizard

**Questions.** One question at a time. Choose with **Up/Down** and press **Enter**, or click an option.
For questions with several answers, **Space** ticks an option and **Enter** continues.
**Esc** goes back one question. **Ctrl+D** answers "Don't know" where a question allows it.
Your answers are listed on the left: select one to go back and change it. An answer shown
~~struck out~~ no longer applies after a later change and is **not used**.

**Progress** counts the questions answered and the most that may still come (often fewer: later
answers can make questions unnecessary). **Routes so far** shows the approval routes already
determined from your answers.

**Checklist.** Items are grouped by route and stage, in order. Status: **required** (applies on
your answers), **to determine** (depends on an answer that is unknown or missing), **to be
verified** (the underlying rule is not yet confirmed from a primary source). Select an item to see
why it is there (the rule, your answers, derived facts) and its legal basis. **Space** ticks an item
done and **n** adds your own note to it; ticks and notes are saved with the case. **t** shows the timeline (statutory working days along the
critical path) and then a summary. **e** exports the checklist as PDF, an Excel tracker, HTML, Markdown or JSON (with the product's name, the case date and your tick-offs); **s** saves the answers as
a YAML file that `pathways checklist FILE` accepts. **Esc** goes back to the questions.

**Everywhere.** **Ctrl+P** opens the command palette (jump to a question, save, export, language,
theme). **F1** or **?** shows this help. **Ctrl+Q** quits; everything answered is already saved.

**Saved cases.** **F2** renames a case (its product name, shown in the list and on the exports): the
highlighted one on the start screen, the open one everywhere else. A case is open in one wizard at
a time: a second wizard says which process has it.
A copy of a case file is a case of its own. A file there that cannot be read is listed with the
reason and left as it is, for you to fix or remove.

Cases are saved in: `{data_dir}`
"""

_HELP_ZH = """\
# pathways 向导

**问题。** 每次一个问题。用**上下键**选择并按**回车**，或直接点击选项。
多选题用**空格键**勾选，**回车**继续。**Esc** 返回上一题。允许时，**Ctrl+D** 表示“不清楚”。
左侧列出已填答案：选中某项可返回修改。~~划线~~的答案因后续修改已不再相关，**不予采用**。

**进度**显示已答题数和最多还可能出现的题数（通常更少：后面的答案可能使某些问题不再需要）。
**目前适用的路径**显示根据答案已确定的审批路径。

**清单。** 事项按路径和阶段依次分组。状态：**必需**（根据答案适用）、**待确定**（取决于未知或未填写的答案）、
**待核实**（该规则尚未得到一手来源确认）。选中一项可查看列入原因（规则、答案、推导事实）及法律依据。
**空格键**标记完成，标记随案例保存。**t** 显示时间线（关键路径上的法定工作日）和概要。**e** 将清单导出为 PDF、Excel 跟踪表、HTML、Markdown 或
JSON（含产品名称、填写日期和已勾选事项）；**s** 将答案另存为 YAML 文件，可用于 `pathways checklist FILE`。**Esc** 返回问题。

**通用。** **Ctrl+P** 打开命令面板（跳转问题、保存、导出、语言、主题）。**F1** 或 **?** 显示本帮助。
**Ctrl+Q** 退出；已回答的内容均已保存。

**已保存的案例。** **F2** 重命名案例（产品名称，显示在列表和导出文件中）：开始页面上为选中的案例，其他页面上为当前打开的案例。
同一案例同一时间只能在一个向导中打开：另一个向导会说明由哪个进程打开。案例文件的副本是独立的案例。
无法读取的文件会连同原因列出，并保持原样，供您修正或删除。

案例保存在：`{data_dir}`
"""


def bullet(lang: str) -> str:
    """A list bullet. Chinese gets a full-width dot and no space: Textual wraps text at spaces
    only, so a short "- " before a long Chinese line would be left alone on its own line."""
    return "・" if lang == "zh" else "- "


def colon(lang: str) -> str:
    """A label's colon: full-width in Chinese (no space after it), ``": "`` in English."""
    return "：" if lang == "zh" else ": "


def paren(lang: str, text: str, *, en: str = " ({})") -> str:
    """``text`` in brackets after what comes before: full-width in Chinese."""
    return f"（{text}）" if lang == "zh" else en.format(text)


def list_sep(lang: str) -> str:
    """Between the items of a list on one line: the enumeration comma in Chinese."""
    return "、" if lang == "zh" else ", "


def gap(lang: str) -> str:
    """Space between parts of a line (none in Chinese, for the same reason as ``bullet``)."""
    return "" if lang == "zh" else " "


_COUNTED = {"item": ("item", "items"), "question": ("question", "questions")}


def counted(lang: str, n: int, noun: str) -> str:
    """``n`` with its noun in English ("1 item", "3 items"); the number alone in Chinese (the
    measure word is in the sentence)."""
    if lang == "zh":
        return str(n)
    one, many = _COUNTED[noun]
    return f"{n} {one if n == 1 else many}"


def separator(lang: str) -> str:
    """Between two statements on one status line."""
    return "｜" if lang == "zh" else "  |  "


def t(lang: str, key: str, **values: object) -> str:
    """The text for ``key`` in ``lang``, with ``{placeholders}`` filled in."""
    en, zh = _T[key]
    text = zh if lang == "zh" else en
    return text.format(**values) if values else text


def failure_text(lang: str, exc: BaseException) -> str:
    """What to tell the user when the planner or the checklist failed, by who failed."""
    from pathways import AnswersError
    from pathways.client import ClientError  # httpx only; already loaded when a server is used

    if isinstance(exc, AnswersError):
        return t(lang, "answers_refused", error=exc)
    if isinstance(exc, ClientError):
        return t(lang, "server_error", error=exc)
    return t(lang, "engine_error", error=exc)


def holder_text(lang: str, holder: Holder | None) -> str:
    """Who has a case open, as far as its lock file says."""
    if holder is None:
        return t(lang, "who_unknown")
    since = holder.since.replace("T", " ")[:16]
    if holder.here:
        return t(lang, "who_here", pid=holder.pid, since=since)
    return t(lang, "who_host", pid=holder.pid, host=holder.host, since=since)


def help_markdown(lang: str, data_dir: str) -> str:
    return (_HELP_ZH if lang == "zh" else _HELP_EN).format(data_dir=data_dir)


_ACTION_LABELS = {
    "next": "next",
    "back": "back",
    "dont_know": "dont_know",
    "checklist": "checklist",
    "app.help": "help",
    "help": "help",
    "app.quit": "quit",
    "quit": "quit",
    "tick": "tick",
    "export": "export",
    "save_answers": "save_answers",
    "questions": "questions",
    "new_case": "new_case",
    "close": "close",
    "write": "write",
    "cancel": "cancel",
    "next_tab": "next_tab",
    "note": "note",
    "rename": "rename",
    "app.rename_case": "rename",
}


def localize_bindings(node: object, lang: str, labels: dict[str, str] | None = None) -> None:
    """Give the Footer labels of ``node``'s own bindings in ``lang`` (bindings are per instance).

    ``labels`` maps action names to text keys (default: the usual actions of the wizard).
    """
    import dataclasses

    table = labels if labels is not None else _ACTION_LABELS
    bindings = node._bindings  # type: ignore[attr-defined]
    for key, items in list(bindings.key_to_bindings.items()):
        bindings.key_to_bindings[key] = [
            dataclasses.replace(b, description=t(lang, table[b.action])) if b.action in table and b.description else b
            for b in items
        ]
