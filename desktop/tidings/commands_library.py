"""CLI subcommands for the reader's own collection: save, annotate, annotations, topics, export."""

from __future__ import annotations

import argparse
import sys

from .cli import emit_json
from .commands import opened
from .core.errors import UserInputError
from .core.library import Library
from .core.storage.stories import StoryFilter


# -- saving ------------------------------------------------------------------------------------------
def cmd_save(args: argparse.Namespace) -> int:
    with opened(args) as lib:
        for story_id in args.stories:
            if args.remove:
                gone = lib.collection.unsave(story_id)
                print(f"Story {story_id}: {'no longer saved' if gone else 'was not saved'}.")
            else:
                print(f"Story {story_id}: {lib.collection.save(story_id)}")
    return 0


def cmd_images(args: argparse.Namespace) -> int:
    with opened(args) as lib:
        feed_id = lib.find_feed(args.feed)
        lib.set_images(feed_id, args.state == "on")
        title = lib.feed(feed_id).title
    if args.state == "on":
        print(f"{title} downloads its images from now on (`tidings fetch-articles` fetches them now).")
    else:
        print(f"{title} downloads no images; the reader shows none of them.")
    return 0


# -- annotations -------------------------------------------------------------------------------------
def cmd_annotate(args: argparse.Namespace) -> int:
    with opened(args) as lib:
        if args.quote:
            placed = lib.annotations.highlight(
                args.story, args.quote, note=args.note, color=args.color, prefix=args.prefix
            )
            print(f"Highlighted “{placed.annotation.anchor.quote.exact}” in story {args.story}.")  # type: ignore[union-attr]
        else:
            lib.annotations.note(args.story, args.note)
            print(f"Noted story {args.story}.")
    return 0


def cmd_annotations(args: argparse.Namespace) -> int:
    with opened(args) as lib:
        ids = args.stories or None
        if args.format != "text":
            sys.stdout.write(lib.annotations.export(ids, args.format))
            return 0
        for story_id in ids or _annotated(lib):
            _print_annotations(lib, story_id)
    return 0


def _annotated(lib: Library) -> list[int]:
    from .core.storage.annotations import annotated_stories

    return annotated_stories(lib.reader())


def _print_annotations(lib: Library, story_id: int) -> None:
    story = lib.story(story_id)
    print(f"{story_id}  {story.title}")
    for placed in lib.annotations.of_story(story_id):
        a = placed.annotation
        if a.anchor is None:
            print(f"    note: {a.note}")
            continue
        state = "" if placed.status in ("exact", "moved") else f" [{placed.status}]"
        note = f" — {a.note}" if a.note else ""
        print(f"    “{a.anchor.quote.exact}”{state} ({a.color}){note}")


def cmd_import_annotations(args: argparse.Namespace) -> int:
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        raise UserInputError(f"{args.file} cannot be read: {exc.strerror or exc}.") from exc
    with opened(args) as lib:
        report = lib.annotations.import_w3c(data)
    print(f"Imported {report.added} annotations ({report.already} were here already).")
    for url in report.unmatched:
        print(f"  no story has the address {url}: its annotations were not imported", file=sys.stderr)
    return 0


# -- topics ------------------------------------------------------------------------------------------
def cmd_topic_create(args: argparse.Namespace) -> int:
    with opened(args) as lib:
        topic_id = lib.collection.create_topic(args.name, args.color)
    print(f"Created topic {topic_id}: {args.name}.")
    return 0


def cmd_topic_rename(args: argparse.Namespace) -> int:
    with opened(args) as lib:
        lib.collection.rename_topic(lib.collection.find_topic(args.topic), args.name)
    print(f"Renamed the topic to {args.name}.")
    return 0


def cmd_topic_delete(args: argparse.Namespace) -> int:
    with opened(args) as lib:
        lib.collection.delete_topic(lib.collection.find_topic(args.topic))
    print(f"Deleted the topic {args.topic}; its stories stay.")
    return 0


def cmd_topic_list(args: argparse.Namespace) -> int:
    with opened(args) as lib:
        topics = lib.collection.topics()
    if args.json:
        emit_json([{"id": t.id, "name": t.name, "color": t.color, "stories": t.stories, "unread": t.unread}
                   for t in topics])  # fmt: skip
        return 0
    for t in topics:
        print(f"{t.id:>4}  {t.name}  ({t.stories} stories, {t.unread} unread)")
    return 0


def cmd_topic_add(args: argparse.Namespace) -> int:
    with opened(args) as lib:
        added = lib.collection.add_to_topic(lib.collection.find_topic(args.topic), args.stories)
    print(f"Filed {added} stories in {args.topic}.")
    return 0


def cmd_topic_remove(args: argparse.Namespace) -> int:
    with opened(args) as lib:
        removed = lib.collection.remove_from_topic(lib.collection.find_topic(args.topic), args.stories)
    print(f"Took {removed} stories out of {args.topic}.")
    return 0


def cmd_topic_suggest(args: argparse.Namespace) -> int:
    with opened(args) as lib:
        names = lib.collection.suggest(args.story)
    print("\n".join(names) if names else "No suggestion yet: file a few stories in your topics first.")
    return 0


# -- export ------------------------------------------------------------------------------------------
def cmd_export(args: argparse.Namespace) -> int:
    with opened(args) as lib:
        if args.topic:
            topic_id = lib.collection.find_topic(args.topic)
            ids, title = lib.collection.story_ids(StoryFilter(topic_id=topic_id)), args.topic
        elif args.saved:
            ids, title = lib.collection.saved_ids(), "Saved stories"
        else:
            ids = args.stories
            title = lib.story(ids[0]).title if len(ids) == 1 else f"{len(ids)} stories"
        data = lib.collection.export(ids, args.format, title=title)
    try:
        args.output.write_bytes(data)
    except OSError as exc:
        raise UserInputError(f"{args.output} cannot be written: {exc.strerror or exc}.") from exc
    print(f"Exported {len(ids)} stories to {args.output}.")
    return 0
