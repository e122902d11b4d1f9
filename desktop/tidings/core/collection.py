"""The reader's own collection: saved stories and topics, as `library.collection`.

Kept apart from `Library` so the facade stays small: each domain its own object over the same store.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import UserInputError
from .storage import articles as article_store
from .storage import collection as store
from .storage.collection import Topic
from .storage.stories import StoryFilter

if TYPE_CHECKING:
    from .export import ExportStory
    from .library import Library
    from .models import Story


MIN_EXAMPLES = 3  # stories filed before Tidings suggests anything
SUGGEST_MIN = 0.5  # standard score a second or third suggestion needs (the first needs none)
GROUP_DAYS = 3  # the same event is reported within a few days; older stories keep the groups they had


class Collection:
    def __init__(self, library: Library):
        self._library = library

    # -- saved ------------------------------------------------------------------------------------
    def save(self, story_id: int, *, cancel: threading.Event | None = None) -> str:
        """Keep a story for good: its row is written durably at once, then its page is fetched (or asked
        for again, conditionally), extracted, kept as a snapshot, and its images downloaded. Blocks on the
        network: not on the GUI thread. Returns a sentence saying what is kept."""
        library = self._library
        story = library.story(story_id)
        library.write(lambda c: store.save(c, story_id, None, None), durable=True)
        if story.url and story.url.lower().startswith(("http://", "https://")):
            report = library.refetch_articles([story_id], cancel=cancel)
            page = article_store.page_of(library.reader(), story_id)
            if page is not None:
                library.write(lambda c: store.save(c, story_id, page[0], page[1]))
        else:
            report = None
        article = library.article(story_id)
        good = article is not None and article.is_article and not article.failure
        kept = "the full article" if good else "the feed's text"
        count = report.images if report else 0
        images = f" and {count} image{'s' if count != 1 else ''}" if count else ""
        snapshot = " and a copy of the page" if self.snapshot(story_id) else ""
        return f"Saved for offline reading: {kept}{images}{snapshot}."

    def is_saved(self, story_id: int) -> bool:
        return store.is_saved(self._library.reader(), story_id)

    def saved_count(self) -> int:
        return store.saved_count(self._library.reader())

    def saved_ids(self) -> list[int]:
        return store.saved_ids(self._library.reader())

    def unsave(self, story_id: int) -> bool:
        """The story goes back to being an ordinary one (retention may delete it one day)."""
        return self._library.write(lambda c: store.unsave(c, story_id))

    def snapshot(self, story_id: int) -> tuple[bytes, str | None] | None:
        return store.snapshot(self._library.reader(), story_id)

    # -- the same story from several feeds ----------------------------------------------------------
    def groups_of(self, story_ids: list[int]) -> dict[int, tuple[int, int]]:
        """(group id, sources) of those stories that several feeds carry."""
        return store.groups_of(self._library.reader(), story_ids)

    def group_members(self, story_id: int) -> list[Story]:
        """The other sources of a story, newest first."""
        return [self._library.story(i) for i in store.group_member_ids(self._library.reader(), story_id)]

    def group_recent(self, *, days: int = GROUP_DAYS, cancel: threading.Event | None = None) -> int:
        """Group the same story from several feeds among the stories of the last `days` (offline: title and
        text, in the order they arrived). Returns how many stories are in a group of two or more."""
        from .topics import cluster_stream

        rows = store.recent_for_grouping(self._library.reader(), days)
        if not rows or (cancel is not None and cancel.is_set()):
            return 0
        labels = cluster_stream(rows)
        ids = [int(str(r["id"])) for r in rows]
        first: dict[object, int] = {}
        groups = {
            story_id: first.setdefault(label, story_id) for story_id, label in zip(ids, labels, strict=True)
        }
        self._library.write(lambda c: store.set_groups(c, groups))
        sizes: dict[int, int] = {}
        for group in groups.values():
            sizes[group] = sizes.get(group, 0) + 1
        return sum(size for size in sizes.values() if size > 1)

    # -- export -----------------------------------------------------------------------------------
    def export(self, story_ids: list[int], fmt: str, *, title: str) -> bytes:
        """Stories with their annotations as one self-contained HTML file (images inlined), Markdown, or an
        EPUB 3 book. Images come from the store only; an image never downloaded keeps its web address in
        Markdown and is left out of HTML and EPUB."""
        from . import export as exporter

        if not story_ids:
            raise UserInputError("There is nothing to export: no story matches.")
        stories = [self._export_story(story_id) for story_id in story_ids]
        images = {
            url: found for url in _image_urls(stories) if (found := self._library.image(url)) is not None
        }
        if fmt == "html":
            return exporter.export_html(stories, images, title=title).encode()
        if fmt == "md":
            return exporter.export_markdown(stories, title=title).encode()
        if fmt == "epub":
            return exporter.export_epub(stories, images, title=title)
        raise UserInputError(f"Stories are exported as html, md or epub, not “{fmt}”.")

    def story_ids(self, flt: StoryFilter) -> list[int]:
        """Every story matching `flt`, oldest first (a book reads in order)."""
        ids: list[int] = []
        after = None
        while True:
            page = self._library.stories(flt, after=after, limit=500)
            ids += [story.id for story, _key in page]
            if len(page) < 500:
                return list(reversed(ids))
            after = page[-1][1]

    def export_file(self, path: Path, story_ids: list[int], fmt: str, *, title: str) -> Path:
        """`export` written to `path` (a job: it reads images and writes a file)."""
        data = self.export(story_ids, fmt, title=title)
        try:
            path.write_bytes(data)
        except OSError as exc:
            raise UserInputError(f"{path} cannot be written: {exc.strerror or exc}.") from exc
        return path

    def _export_story(self, story_id: int) -> ExportStory:
        from .export import ExportStory

        library = self._library
        story = library.story(story_id)
        text = library.annotations.story_text(story_id)
        article = library.article(story_id)
        annotations = tuple(p.annotation for p in library.annotations.of_story(story_id))
        return ExportStory(
            title=story.title, html=text.html, url=story.url,
            byline=story.author or (article.byline if article else None), source=story.feed_title,
            published=story.published, annotations=annotations,
        )  # fmt: skip

    # -- topics -----------------------------------------------------------------------------------
    def topics(self) -> list[Topic]:
        return store.list_topics(self._library.reader())

    def find_topic(self, ref: str) -> int:
        found = store.find_topic(self._library.reader(), ref)
        assert found is not None
        return found

    def create_topic(self, name: str, color: str | None = None) -> int:
        return self._library.write(lambda c: store.create_topic(c, name, color))

    def rename_topic(self, topic_id: int, name: str) -> None:
        self._library.write(lambda c: store.rename_topic(c, topic_id, name))

    def set_topic_color(self, topic_id: int, color: str | None) -> None:
        self._library.write(lambda c: store.set_topic_color(c, topic_id, color))

    def delete_topic(self, topic_id: int) -> None:
        self._library.write(lambda c: store.delete_topic(c, topic_id))

    def add_to_topic(self, topic_id: int, story_ids: list[int]) -> int:
        return self._library.write(lambda c: store.add_to_topic(c, topic_id, story_ids))

    def remove_from_topic(self, topic_id: int, story_ids: list[int]) -> int:
        return self._library.write(lambda c: store.remove_from_topic(c, topic_id, story_ids))

    def topics_of(self, story_id: int) -> list[Topic]:
        return store.topics_of(self._library.reader(), story_id)

    def suggest(self, story_id: int, limit: int = 3) -> list[str]:
        """Up to `limit` topics this story may belong in, learnt from the stories filed so far (locally);
        never the topics it is in already. The likeliest always; the next ones only when they stand out
        (SUGGEST_MIN), so that a person with three topics is not offered all three every time. Nothing is
        filed: the person accepts a suggestion or not."""
        from .topics_suggest import topic_scores  # numpy and the sentence model: on demand

        conn = self._library.reader()
        train = [(dict(a), name) for a, name in store.training_examples(conn) if a["id"] != story_id]
        if len(train) < MIN_EXAMPLES:
            return []
        story = self._library.story(story_id)
        filed = {t.name for t in store.topics_of(conn, story_id)}
        article = {"id": story.id, "title": story.title, "text": story.text, "source": story.feed_title}
        scores = topic_scores(train, [article])[0]
        ranked = [
            (name, s)
            for name, s in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
            if name not in filed
        ]
        return [name for n, (name, score) in enumerate(ranked[:limit]) if n == 0 or score >= SUGGEST_MIN]

    def set_topics_of(
        self, story_id: int, chosen: set[int], before: set[int], new_topic: str | None = None
    ) -> None:
        """File a story in `chosen` (and a new topic), taking it out of those in `before` no longer chosen."""

        def change(conn: sqlite3.Connection) -> None:
            wanted = set(chosen)
            if new_topic:
                found = store.find_topic(conn, new_topic, missing_ok=True)
                wanted.add(found if found is not None else store.create_topic(conn, new_topic))
            for topic_id in wanted - before:
                store.add_to_topic(conn, topic_id, [story_id])
            for topic_id in before - wanted:
                store.remove_from_topic(conn, topic_id, [story_id])

        self._library.write(change)


def _image_urls(stories: list[ExportStory]) -> list[str]:
    from .images import image_urls  # the network stack: only when exporting

    return list(dict.fromkeys(url for story in stories for url in image_urls(story.html, None)))
