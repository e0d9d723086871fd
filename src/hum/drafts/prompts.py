"""What the LLM is asked for each text of a draft: the definition, its paraphrases, and the include/exclude notes."""

from __future__ import annotations

from hum.drafts.job import Job
from hum.guidelines import ROLE

TASK_NAMES = {
    "en": {
        "ner": "named entity recognition",
        "re": "relation extraction",
        "ee": "event extraction",
        "cls": "text classification",
        "oie": "open information extraction",
        "mrc": "reading comprehension",
    },
    "zh": {
        "ner": "命名实体识别",
        "re": "关系抽取",
        "ee": "事件抽取",
        "cls": "文本分类",
        "oie": "开放信息抽取",
        "mrc": "阅读理解",
    },
}
EVENT_KINDS = {"en": ("event type", "argument role"), "zh": ("事件类型", "论元角色")}
SYSTEM = {
    "en": "You write annotation guidelines: short, precise definitions of labels. Answer with one sentence only.",
    "zh": "你负责编写标注规范：简短、准确的标签定义。只回答一句话。",
}
PROMPTS = {
    "definition": {
        "en": (
            'Task: {task}.\nLabel: "{label}"\nExamples of "{label}" in the data: {examples}\n'
            'In one sentence, define what "{label}" marks in this task.'
        ),
        "zh": (
            "任务：{task}。\n标签：“{label}”\n数据中“{label}”的例子：{examples}\n"
            "请用一句话说明在这个任务中“{label}”标注的是什么。"
        ),
    },
    "paraphrase": {
        "en": 'Say this in other words, in one sentence with the same meaning:\n"{definition}"',
        "zh": "请换一种说法表达下面这句话，意思不变，只写一句：\n“{definition}”",
    },
    "include": {
        "en": (
            'In {task}, "{label}" is defined as: "{definition}"\n'
            'In one sentence, name a less obvious case that is still "{label}".'
        ),
        "zh": "在{task}中，“{label}”的定义是：“{definition}”\n请用一句话举出一种不太明显、但仍属于“{label}”的情况。",
    },
    "exclude": {
        "en": (
            'In {task}, "{label}" is defined as: "{definition}"\n'
            'In one sentence, say what looks similar but is not "{label}", such as {negatives}.'
        ),
        "zh": "在{task}中，“{label}”的定义是：“{definition}”\n请用一句话说明哪些相似的内容不属于“{label}”，例如{negatives}。",
    },
}
NONE_FOUND = {"en": "(none in the data)", "zh": "（数据中没有）"}
QUOTE_MARKS = {"en": ('"', '"', "; "), "zh": ("“", "”", "；")}


def task_name(job: Job) -> str:
    """The task as the prompts name it; event labels say whether they are types or roles."""
    name = TASK_NAMES[job.lang][job.task]
    if job.task == "ee":
        kind = EVENT_KINDS[job.lang][job.label.startswith(ROLE)]
        name += f" ({kind})" if job.lang == "en" else f"（{kind}）"
    return name


def messages(job: Job, field: str, definition: str) -> list[dict[str, str]]:
    """The system and user message asking for one text of a draft (`definition` is empty for the definition)."""
    start, end, sep = QUOTE_MARKS[job.lang]

    def listed(texts: tuple[str, ...]) -> str:
        return sep.join(f"{start}{t}{end}" for t in texts) or NONE_FOUND[job.lang]

    user = PROMPTS[field][job.lang].format(
        task=task_name(job),
        label=job.name,
        examples=listed(job.positives),
        negatives=listed(job.negatives),
        definition=definition,
    )
    return [{"role": "system", "content": SYSTEM[job.lang]}, {"role": "user", "content": user}]
