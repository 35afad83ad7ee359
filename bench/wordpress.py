#!/usr/bin/env python3
"""Writes a WordPress export (WXR) of N Bengali posts for bench/wordpress.sh: categories (with
children), tags, authors, and for every fifth post a featured image and a body image, real PNG
files (drawn here with zlib and struct, each different) in an uploads folder laid out like
wp-content/uploads.

    python3 bench/wordpress.py OUT_DIR [POSTS]   (default 10000)

Writes OUT_DIR/site.wxr.xml and OUT_DIR/uploads/."""
import os
import random
import struct
import sys
import zlib

WORDS = ("সরকার নির্বাচন ঢাকা বাজেট শিক্ষার্থী আদালত বৃষ্টি নদী ক্রিকেট দল উন্নয়ন প্রকল্প "
         "মানুষ গ্রাম শহর হাসপাতাল চিকিৎসা কৃষক ধান বাজার দাম সড়ক দুর্ঘটনা বিদ্যুৎ গ্যাস "
         "সংসদ মন্ত্রী বৈঠক সিদ্ধান্ত আলোচনা প্রতিবেদন তদন্ত পুলিশ মামলা রায় খেলা জয় পরাজয়").split()
CATEGORIES = [("national", "জাতীয়", ""), ("politics", "রাজনীতি", ""), ("sports", "খেলা", ""),
              ("cricket", "ক্রিকেট", "sports"), ("football", "ফুটবল", "sports"),
              ("economy", "অর্থনীতি", ""), ("country", "সারাদেশ", ""),
              ("chattogram", "চট্টগ্রাম", "country"), ("entertainment", "বিনোদন", "")]
TAGS = [(f"tag-{i}", f"{WORDS[i % len(WORDS)]} {WORDS[(i * 7) % len(WORDS)]}") for i in range(200)]
AUTHORS = [(f"reporter{i}", f"প্রতিবেদক {WORDS[i]}") for i in range(20)]


def png(width, height, seed):
    """A real RGB PNG, its pixels a gradient that differs per seed."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)
        for x in range(width):
            rows += bytes(((x * 4 + seed) % 256, (y * 5 + seed * 3) % 256, (x ^ y ^ seed) % 256))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(bytes(rows), 6))
            + chunk(b"IEND", b""))


def sentence(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n)) + "।"


def main():
    out = sys.argv[1]
    posts = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    rng = random.Random(14)
    uploads = os.path.join(out, "uploads", "2025", "07")
    os.makedirs(uploads, exist_ok=True)
    with open(os.path.join(out, "site.wxr.xml"), "w", encoding="utf-8") as f:
        f.write('<?xml version="1.0" encoding="UTF-8" ?>\n<rss version="2.0" '
                'xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" '
                'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
                'xmlns:dc="http://purl.org/dc/elements/1.1/" '
                'xmlns:wp="http://wordpress.org/export/1.2/">\n<channel>\n'
                '<title>পুরনো সংবাদ</title>\n<wp:wxr_version>1.2</wp:wxr_version>\n'
                '<wp:base_site_url>http://old.test</wp:base_site_url>\n'
                '<wp:base_blog_url>http://old.test</wp:base_blog_url>\n')
        for login, name in AUTHORS:
            f.write(f"<wp:author><wp:author_login><![CDATA[{login}]]></wp:author_login>"
                    f"<wp:author_display_name><![CDATA[{name}]]></wp:author_display_name></wp:author>\n")
        for nice, name, parent in CATEGORIES:
            f.write(f"<wp:category><wp:category_nicename><![CDATA[{nice}]]></wp:category_nicename>"
                    f"<wp:category_parent><![CDATA[{parent}]]></wp:category_parent>"
                    f"<wp:cat_name><![CDATA[{name}]]></wp:cat_name></wp:category>\n")
        for slug, name in TAGS:
            f.write(f"<wp:tag><wp:tag_slug><![CDATA[{slug}]]></wp:tag_slug>"
                    f"<wp:tag_name><![CDATA[{name}]]></wp:tag_name></wp:tag>\n")
        for n in range(1, posts + 1):
            pid = n * 2
            day = 1 + n % 28
            hour = n % 24
            nice, cat, _ = CATEGORIES[n % len(CATEGORIES)]
            tags = rng.sample(TAGS, 3)
            author = AUTHORS[n % len(AUTHORS)][0]
            paragraphs = [f"<p>{sentence(rng, 25)} {sentence(rng, 20)}</p>" for _ in range(6)]
            with_image = n % 5 == 0
            meta = ""
            attachment = ""
            if with_image:
                body_file = f"body-{n}.png"
                hero_file = f"hero-{n}.png"
                with open(os.path.join(uploads, body_file), "wb") as img:
                    img.write(png(48, 32, n))
                with open(os.path.join(uploads, hero_file), "wb") as img:
                    img.write(png(64, 40, n + 100000))
                paragraphs.insert(2, f'<img src="http://old.test/wp-content/uploads/2025/07/{body_file}" alt="{WORDS[n % len(WORDS)]}" />')
                meta = (f"<wp:postmeta><wp:meta_key><![CDATA[_thumbnail_id]]></wp:meta_key>"
                        f"<wp:meta_value><![CDATA[{pid + 1}]]></wp:meta_value></wp:postmeta>")
                attachment = (f"<item><title>{hero_file}</title><wp:post_id>{pid + 1}</wp:post_id>"
                              f"<wp:post_name><![CDATA[hero-{n}]]></wp:post_name>"
                              f"<wp:post_parent>{pid}</wp:post_parent>"
                              f"<wp:post_type><![CDATA[attachment]]></wp:post_type>"
                              f"<wp:status><![CDATA[inherit]]></wp:status>"
                              f"<wp:attachment_url><![CDATA[http://old.test/wp-content/uploads/2025/07/{hero_file}]]></wp:attachment_url>"
                              f"<wp:postmeta><wp:meta_key>_wp_attachment_image_alt</wp:meta_key>"
                              f"<wp:meta_value>{WORDS[n % len(WORDS)]}</wp:meta_value></wp:postmeta></item>\n")
            terms = f'<category domain="category" nicename="{nice}"><![CDATA[{cat}]]></category>' + "".join(
                f'<category domain="post_tag" nicename="{s}"><![CDATA[{t}]]></category>' for s, t in tags)
            f.write(f"<item><title><![CDATA[{sentence(rng, 8)[:-1]} {n}]]></title>"
                    f"<dc:creator><![CDATA[{author}]]></dc:creator>"
                    f"<content:encoded><![CDATA[{chr(10).join(paragraphs)}]]></content:encoded>"
                    f"<excerpt:encoded><![CDATA[{sentence(rng, 15)}]]></excerpt:encoded>"
                    f"<wp:post_id>{pid}</wp:post_id>"
                    f"<wp:post_date><![CDATA[2025-07-{day:02} {hour:02}:10:00]]></wp:post_date>"
                    f"<wp:post_date_gmt><![CDATA[2025-07-{day:02} {hour:02}:10:00]]></wp:post_date_gmt>"
                    f"<wp:post_name><![CDATA[post-{n}]]></wp:post_name>"
                    f"<wp:status><![CDATA[publish]]></wp:status><wp:post_parent>0</wp:post_parent>"
                    f"<wp:post_type><![CDATA[post]]></wp:post_type>{terms}{meta}</item>\n")
            f.write(attachment)
        f.write("</channel>\n</rss>\n")


if __name__ == "__main__":
    main()
