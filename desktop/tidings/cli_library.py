"""The CLI's subcommands for the reader's own collection (their handlers: `commands_library`).

Only argparse here: building the parser loads nothing else.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("save", help="keep stories for good, readable offline (article, images, page)")
    p.add_argument("stories", nargs="+", type=int, metavar="STORY")
    p.add_argument("--remove", action="store_true", help="take them out of the saved stories instead")
    p.set_defaults(run="cmd_save")
    p = sub.add_parser("annotate", help="highlight words of a story, or note the whole story")
    p.add_argument("story", type=int, metavar="STORY")
    p.add_argument("--quote", help="the words to highlight (omit for a note on the whole story)")
    p.add_argument("--note", default="", help="a note on the highlight (or on the story)")
    p.add_argument("--color", default="yellow", help="yellow, green, blue, pink or purple")
    p.add_argument("--prefix", default="", help="words just before the quote, when it occurs more than once")
    p.set_defaults(run="cmd_annotate")
    p = sub.add_parser("annotations", help="list or export annotations (all stories without STORY)")
    p.add_argument("stories", nargs="*", type=int, metavar="STORY")
    p.add_argument("--format", choices=("text", "md", "w3c", "json"), default="text")
    p.set_defaults(run="cmd_annotations")
    p = sub.add_parser("import-annotations", help="add annotations from a W3C Web Annotation JSON file")
    p.add_argument("file", type=Path)
    p.set_defaults(run="cmd_import_annotations")
    p = sub.add_parser("images", help="let a feed download its images for offline reading (new feeds: off)")
    p.add_argument("feed", metavar="FEED")
    p.add_argument("state", choices=("on", "off"))
    p.set_defaults(run="cmd_images")
    _topic_parsers(sub)
    p = sub.add_parser("export", help="export stories with their annotations as HTML, Markdown or EPUB")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("stories", nargs="*", type=int, metavar="STORY", default=[])
    which.add_argument("--topic", help="every story of a topic")
    which.add_argument("--saved", action="store_true", help="every saved story")
    p.add_argument("--format", choices=("html", "md", "epub"), required=True)
    p.add_argument("-o", "--output", type=Path, required=True, metavar="FILE")
    p.set_defaults(run="cmd_export")


def _topic_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    topic = sub.add_parser("topic", help="your own topics: create, rename, delete, list, add stories")
    verbs = topic.add_subparsers(dest="verb", required=True, metavar="VERB")
    p = verbs.add_parser("create", help="start a topic")
    p.add_argument("name")
    p.add_argument("--color", help="#rrggbb")
    p.set_defaults(run="cmd_topic_create")
    p = verbs.add_parser("rename", help="rename a topic")
    p.add_argument("topic")
    p.add_argument("name")
    p.set_defaults(run="cmd_topic_rename")
    p = verbs.add_parser("delete", help="delete a topic (its stories stay)")
    p.add_argument("topic")
    p.set_defaults(run="cmd_topic_delete")
    p = verbs.add_parser("list", help="list the topics")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run="cmd_topic_list")
    p = verbs.add_parser("add", help="file stories in a topic")
    p.add_argument("topic")
    p.add_argument("stories", nargs="+", type=int, metavar="STORY")
    p.set_defaults(run="cmd_topic_add")
    p = verbs.add_parser("remove", help="take stories out of a topic")
    p.add_argument("topic")
    p.add_argument("stories", nargs="+", type=int, metavar="STORY")
    p.set_defaults(run="cmd_topic_remove")
    p = verbs.add_parser("suggest", help="topics Tidings suggests for a story (it files nothing)")
    p.add_argument("story", type=int, metavar="STORY")
    p.set_defaults(run="cmd_topic_suggest")
