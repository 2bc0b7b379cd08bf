-- DropIndex
DROP INDEX "devices_name_trgm_idx";

-- DropIndex
DROP INDEX "devices_serial_number_trgm_idx";

-- DropIndex
DROP INDEX "devices_phone_number_trgm_idx";

-- AlterTable
ALTER TABLE "users" ADD COLUMN     "device_columns" TEXT[] DEFAULT ARRAY[]::TEXT[],
-- The searched text, width- and kana-folded (NFKC, then hiragana to katakana) exactly as
-- lib/devices/fold.ts folds the query. Fields are kept apart by U+001F, which nobody types.
ADD COLUMN     "search_text" TEXT GENERATED ALWAYS AS (
  translate(normalize(coalesce("email", ''), NFKC), 'ぁあぃいぅうぇえぉおかがきぎくぐけげこごさざしじすずせぜそぞただちぢっつづてでとどなにぬねのはばぱひびぴふぶぷへべぺほぼぽまみむめもゃやゅゆょよらりるれろゎわゐゑをんゔゕゖゝゞ', 'ァアィイゥウェエォオカガキギクグケゲコゴサザシジスズセゼソゾタダチヂッツヅテデトドナニヌネノハバパヒビピフブプヘベペホボポマミムメモャヤュユョヨラリルレロヮワヰヱヲンヴヵヶヽヾ') || E'\x1f' ||
  translate(normalize(coalesce("display_name", ''), NFKC), 'ぁあぃいぅうぇえぉおかがきぎくぐけげこごさざしじすずせぜそぞただちぢっつづてでとどなにぬねのはばぱひびぴふぶぷへべぺほぼぽまみむめもゃやゅゆょよらりるれろゎわゐゑをんゔゕゖゝゞ', 'ァアィイゥウェエォオカガキギクグケゲコゴサザシジスズセゼソゾタダチヂッツヅテデトドナニヌネノハバパヒビピフブプヘベペホボポマミムメモャヤュユョヨラリルレロヮワヰヱヲンヴヵヶヽヾ')) STORED;

-- AlterTable
ALTER TABLE "devices" ADD COLUMN     "search_text" TEXT GENERATED ALWAYS AS (
  translate(normalize(coalesce("name", ''), NFKC), 'ぁあぃいぅうぇえぉおかがきぎくぐけげこごさざしじすずせぜそぞただちぢっつづてでとどなにぬねのはばぱひびぴふぶぷへべぺほぼぽまみむめもゃやゅゆょよらりるれろゎわゐゑをんゔゕゖゝゞ', 'ァアィイゥウェエォオカガキギクグケゲコゴサザシジスズセゼソゾタダチヂッツヅテデトドナニヌネノハバパヒビピフブプヘベペホボポマミムメモャヤュユョヨラリルレロヮワヰヱヲンヴヵヶヽヾ') || E'\x1f' ||
  translate(normalize(coalesce("serial_number", ''), NFKC), 'ぁあぃいぅうぇえぉおかがきぎくぐけげこごさざしじすずせぜそぞただちぢっつづてでとどなにぬねのはばぱひびぴふぶぷへべぺほぼぽまみむめもゃやゅゆょよらりるれろゎわゐゑをんゔゕゖゝゞ', 'ァアィイゥウェエォオカガキギクグケゲコゴサザシジスズセゼソゾタダチヂッツヅテデトドナニヌネノハバパヒビピフブプヘベペホボポマミムメモャヤュユョヨラリルレロヮワヰヱヲンヴヵヶヽヾ') || E'\x1f' ||
  translate(normalize(coalesce("phone_number", ''), NFKC), 'ぁあぃいぅうぇえぉおかがきぎくぐけげこごさざしじすずせぜそぞただちぢっつづてでとどなにぬねのはばぱひびぴふぶぷへべぺほぼぽまみむめもゃやゅゆょよらりるれろゎわゐゑをんゔゕゖゝゞ', 'ァアィイゥウェエォオカガキギクグケゲコゴサザシジスズセゼソゾタダチヂッツヅテデトドナニヌネノハバパヒビピフブプヘベペホボポマミムメモャヤュユョヨラリルレロヮワヰヱヲンヴヵヶヽヾ')) STORED;

-- AlterTable
ALTER TABLE "commands" ADD COLUMN     "batch_id" UUID;

-- CreateIndex
CREATE INDEX "users_search_text_trgm_idx" ON "users" USING GIN ("search_text" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "devices_search_text_trgm_idx" ON "devices" USING GIN ("search_text" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "commands_batch_id_status_idx" ON "commands"("batch_id", "status");
